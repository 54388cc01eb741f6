# bench/load: the service load harness (issue 8). corsd_load (load generator
# and dataset loader), null_server (the ceiling), and their unit tests.
# bench/run drives them (bench/load/service_runs.py); see bench/README.md.
add_library(corsd_bench_load
  ${CMAKE_CURRENT_LIST_DIR}/load/dataset.cc
  ${CMAKE_CURRENT_LIST_DIR}/load/driver.cc
  ${CMAKE_CURRENT_LIST_DIR}/load/histogram.cc
  ${CMAKE_CURRENT_LIST_DIR}/load/loader.cc
  ${CMAKE_CURRENT_LIST_DIR}/load/requests.cc
)
target_link_libraries(corsd_bench_load PUBLIC
  corsd_proto
  gRPC::grpc++
  absl::random_distributions
  absl::status
  absl::statusor
  absl::str_format
  absl::strings
  absl::time
)

add_executable(corsd_load ${CMAKE_CURRENT_LIST_DIR}/load/corsd_load_main.cc)
target_link_libraries(corsd_load PRIVATE corsd_bench_load absl::flags
                      absl::flags_parse absl::flags_usage absl::synchronization)

# The null server compiles corsd's own server_options.cc (not a copy), so it
# applies exactly corsd's transport options without linking the whole
# service library (and without waiting for it to build).
add_executable(null_server ${CMAKE_CURRENT_LIST_DIR}/load/null_server.cc
               ${PROJECT_SOURCE_DIR}/service/rpc/server_options.cc)
target_link_libraries(null_server PRIVATE corsd_bench_load absl::flags
                      absl::flags_parse absl::flags_usage gRPC::grpc++_reflection)

add_executable(bench_load_test
  ${CMAKE_CURRENT_LIST_DIR}/load/histogram_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/load/dataset_test.cc
)
target_link_libraries(bench_load_test PRIVATE corsd_bench_load
                      GTest::gtest_main)
gtest_discover_tests(bench_load_test PROPERTIES LABELS unit)

# The driver against an in-process server on loopback (a few seconds).
add_executable(bench_load_driver_test ${CMAKE_CURRENT_LIST_DIR}/load/driver_test.cc)
target_link_libraries(bench_load_driver_test PRIVATE corsd_bench_load
                      GTest::gtest_main)
gtest_discover_tests(bench_load_driver_test PROPERTIES LABELS integration)

# The HTTP door's ceiling: the door's own transport answering a fixed 200.
add_executable(http_null_server ${CMAKE_CURRENT_LIST_DIR}/load/http_null_server.cc)
target_link_libraries(http_null_server PRIVATE corsd_http_transport
                      absl::flags absl::flags_parse absl::flags_usage)
