# JPEG encode time per frame against the picture's size, on one and two
# threads, with one memcpy of the picture as the machine's limit, from
# encode_benchmark's --plot_data, split by plot_encoders.sh into one file per
# line ("pixels<TAB>ms").
#   gnuplot -e "one='...'; two='...'; copy='...'; outfile='...'" encoders.gp
set terminal svg size 640,420 dynamic font "sans,11" background rgb "white"
set termoption noenhanced
set output outfile
set datafile separator "\t"
set title "encode_benchmark, one run: test pattern, JPEG quality 80, 2 cores"
set logscale xy
set xrange [200000:12000000]
set xlabel "pixels per frame"
set ylabel "ms per frame (wall)"
set xtics ("640x480" 307200, "1920x1080" 2073600, "3840x2160" 8294400)
set grid
set key bottom right
plot one using 1:2 with linespoints pt 7 title "1 encoder", \
     two using 1:2 with linespoints pt 7 title "2 encoders", \
     copy using 1:2 with linespoints pt 7 dt 2 title "memcpy of the picture (the limit)", \
     16.667 with lines dt 3 title "one frame at 60 fps", \
     33.333 with lines dt 3 title "one frame at 30 fps"
