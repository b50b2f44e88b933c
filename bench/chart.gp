# bench/chart.gp — the bar chart of bench/results/latest.png.
# gnuplot -e "data='latest.dat'; out='latest.png'" bench/chart.gp
# One cluster per benchmark, one bar per sandbox, height = time / native
# time. Log scale, because the sandboxes differ by orders of magnitude.
set terminal pngcairo size 1400,700 font "sans,10" noenhanced
set output out
set title "Slowdown against native, same machine, same run (lower is better; log scale)"
set ylabel "time / native time"
set logscale y
set yrange [0.1:*]
set grid ytics
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -35 left
set key outside right top vertical
set datafile missing "-"
# The native level: bars below it are faster than the host.
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 linecolor "black"
plot for [i=2:*] data using i:xtic(1) title columnheader(i)
