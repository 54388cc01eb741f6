# bench/tenant_view: the decision path a door runs (door::RunDecide) with the
# per-tenant refusal view off and on (issue 15 part 4). bench_tenant_view
# counts the benchmark thread's own allocations; bench/tenant_view_summary.py
# (bench/keys/tenant_view.json, "command" form) turns its JSON into the
# median of the paired on/off ratios.
add_executable(bench_tenant_view ${CMAKE_CURRENT_LIST_DIR}/tenant_view_bench.cc
               ${CMAKE_CURRENT_LIST_DIR}/observer_world.cc)
target_link_libraries(bench_tenant_view PRIVATE corsd_tenant_view corsd_door
                      corsd_decision corsd_metrics corsd_alloc_counter
                      benchmark::benchmark Threads::Threads)
