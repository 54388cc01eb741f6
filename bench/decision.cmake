# bench/decision: Engine::Decide on a 1M-origin table (issue 4). bench_decision
# counts heap allocations per decision (allocs_per_op); bench/keys/decision.json
# names the keys bench/run takes from it.
add_executable(bench_decision ${CMAKE_CURRENT_LIST_DIR}/decision_bench.cc)
target_link_libraries(bench_decision PRIVATE corsd_decision corsd_alloc_counter
                      benchmark::benchmark)
