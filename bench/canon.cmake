# bench/canon: the canonicalizer (issue 2). bench_canon runs the header check
# and the full parse on the same inputs; bench/keys/canon.json names the keys.
add_executable(bench_canon ${CMAKE_CURRENT_LIST_DIR}/canon_bench.cc)
target_link_libraries(bench_canon PRIVATE corsd_origin corsd_alloc_counter
                      benchmark::benchmark)
