# Per client fps and server CPU per delivered frame against the number of
# streams N, from stream_benchmark's --plot_data ("server<TAB>N<TAB>mean
# fps<TAB>CPU us per frame").
#   gnuplot -e "datafile='...'; outfile='...'" benchmark.gp
set terminal svg size 980,420 dynamic font "sans,11" background rgb "white"
set termoption noenhanced
set output outfile
set datafile separator "\t"
set multiplot layout 1,2 title "stream_benchmark, one run: 640x480 test pattern at 30 fps, loopback, 2 cores"
set logscale x
set xrange [0.7:1500]
set xlabel "streams N"
set grid
set key bottom left font ",9"
array S[4] = ["C++ loop", "C++ threads", "send()", "Python"]
set title "mean fps per client"
set ylabel "fps"
set yrange [0:35]
plot for [i=1:4] datafile using 2:(strcol(1) eq S[i] ? $3 : 1/0) \
  with linespoints pt 7 title S[i]
set title "server CPU per delivered frame"
set ylabel "microseconds"
set logscale y
set yrange [*:*]
plot for [i=1:4] datafile using 2:(strcol(1) eq S[i] ? $4 : 1/0) \
  with linespoints pt 7 title S[i]
unset multiplot
