# bench/whatif: the decision path a door runs (door::RunDecide) with the
# what-if shape recorder off and on, interleaved (issue 15 part 5: on by
# default only if its cost is within noise). bench_whatif counts the
# benchmark thread's own allocations; bench/whatif_summary.py
# (bench/keys/whatif.json, "command" form) turns its JSON into the median of
# the paired on/off ratios.
add_executable(bench_whatif ${CMAKE_CURRENT_LIST_DIR}/whatif_bench.cc
               ${CMAKE_CURRENT_LIST_DIR}/observer_world.cc)
target_link_libraries(bench_whatif PRIVATE corsd_whatif_recorder corsd_door
                      corsd_decision corsd_metrics corsd_alloc_counter
                      benchmark::benchmark Threads::Threads)
