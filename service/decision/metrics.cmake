# Decision metrics (owned by the "http" engineer; included from
# service/decision/CMakeLists.txt). Pure C++ + abseil: builds in every
# configuration, sanitizer builds included.
add_library(corsd_metrics metrics.cc)
# corsd_decision for the reason and action names (reason.cc).
target_link_libraries(corsd_metrics PUBLIC corsd_decision absl::strings)

add_executable(metrics_test metrics_test.cc)
target_link_libraries(metrics_test PRIVATE corsd_metrics GTest::gtest_main
                                           Threads::Threads)
gtest_discover_tests(metrics_test TEST_FILTER "-*StressTest.*"
                     PROPERTIES LABELS unit)
gtest_discover_tests(metrics_test TEST_FILTER "*StressTest.*"
                     PROPERTIES LABELS stress)

# The benchmark (bin/bench_metrics), gRPC builds only (Google Benchmark is
# found there).
if(CORSD_WITH_GRPC)
  add_executable(bench_metrics metrics_bench.cc)
  target_link_libraries(bench_metrics PRIVATE corsd_metrics benchmark::benchmark
                                              Threads::Threads)
endif()
