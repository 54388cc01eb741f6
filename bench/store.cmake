# Store benchmarks: bench_store (import throughput, startup load time), run
# by bench/startup_bench.sh (bench/keys/store.json, "command" form).
add_executable(bench_store ${CMAKE_CURRENT_LIST_DIR}/startup_bench.cc)
target_link_libraries(bench_store PRIVATE corsd_store)
