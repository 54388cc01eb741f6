# bench/decision_log: the decision path a door runs (door::RunDecide) with the
# decision log off and on, interleaved (issue 15). bench_decision_log counts
# the benchmark thread's own allocations; bench/decision_log_summary.py
# (bench/keys/decision_log.json, "command" form) turns its JSON into the
# median of the paired on/off ratios.
add_executable(bench_decision_log ${CMAKE_CURRENT_LIST_DIR}/decision_log_bench.cc
               ${CMAKE_CURRENT_LIST_DIR}/observer_world.cc)
target_link_libraries(bench_decision_log PRIVATE corsd_decision_log corsd_door
                      corsd_decision corsd_metrics corsd_alloc_counter
                      benchmark::benchmark Threads::Threads)
