# MB/s of each contender per pipeline stage, from pipeline_benchmark's
# --plot_data, split by plot_benchmark.sh into one "label<TAB>MB/s" file per
# stage. gnuplot -e "convfile='...'; tarfile='...'; outfile='...'" benchmark.gp
set terminal svg size 980,460 dynamic font "sans,11" background rgb "white"
set output outfile
set datafile separator "\t"
set termoption noenhanced
set multiplot layout 1,2 title "pipeline_benchmark, one run: MB of input per second (log scale)"
set style fill solid 0.85 border -1
set boxwidth 0.7
set logscale y
set yrange [1:20000]
set grid ytics
set bmargin 9
set xtics rotate by -40 left noenhanced font ",9" nomirror
set ylabel "MB/s"
set title "CSV -> XML, 50 MB of prices"
plot convfile using 0:2:xtic(1) with boxes lc rgb "#4477aa" notitle, \
     '' using 0:2:(sprintf("%.0f", $2)) with labels offset 0,0.8 font ",9" notitle
set title "XML -> .tar.gz at level 6 (9: Python, gzip -9), 50 MB"
plot tarfile using 0:2:xtic(1) with boxes lc rgb "#228833" notitle, \
     '' using 0:2:(sprintf("%.0f", $2)) with labels offset 0,0.8 font ",9" notitle
unset multiplot
