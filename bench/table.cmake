# bench/table: the origin tables (issue 3). bench_table measures OriginTable
# against absl::flat_hash_map<std::string, uint32_t> on the same keys;
# bench/table_summary.py turns its JSON into the keys of bench/keys/table.json.
add_executable(bench_table ${CMAKE_CURRENT_LIST_DIR}/table_bench.cc)
target_link_libraries(bench_table PRIVATE corsd_table corsd_origin
                      absl::flat_hash_map absl::strings benchmark::benchmark
                      Threads::Threads)
