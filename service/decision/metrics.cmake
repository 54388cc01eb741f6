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
