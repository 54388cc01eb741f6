# bench/domains: Engine::Decide while 100k custom domains are under
# verification (custom domains issue). bench_domains runs the decide
# benchmarks with the verifier off and on, interleaved; bench/domains_summary.py
# (bench/keys/domains.json, "command" form) turns its JSON into the median of
# the paired ratios. The Catalog and the verifier need the gRPC build's proto
# library.
if(TARGET corsd_verify AND TARGET corsd_dns_testing)
  add_executable(bench_domains ${CMAKE_CURRENT_LIST_DIR}/domains_bench.cc)
  target_link_libraries(bench_domains PRIVATE corsd_verify corsd_decision
                        corsd_dns_testing corsd_store benchmark::benchmark
                        Threads::Threads)
endif()
