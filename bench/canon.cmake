# bench/canon: the canonicalizer (issues 2 and 16). bench_canon runs the header
# check and the full parse on the same inputs; bench/keys/canon.json names
# the keys. It links ICU itself to count ICU's mallocs (u_setMemoryFunctions).
# bench/canon_summary.py (bench/keys/canon_ada.json) pairs its full-parse
# classes with Node's URL (ada) timed by bench/canon_ada.mjs.
pkg_check_modules(CANON_ICU_UC REQUIRED IMPORTED_TARGET icu-uc)
add_executable(bench_canon ${CMAKE_CURRENT_LIST_DIR}/canon_bench.cc)
target_link_libraries(bench_canon PRIVATE corsd_origin corsd_alloc_counter
                      benchmark::benchmark PkgConfig::CANON_ICU_UC)

# bench_canon_import: the stateless validation of an import (store::PrepareOp
# on every row), 1M rows, in rows per CPU-second (bench/keys/canon_import.json).
if(TARGET corsd_store)
  add_executable(bench_canon_import
                 ${CMAKE_CURRENT_LIST_DIR}/canon_import_bench.cc)
  target_link_libraries(bench_canon_import PRIVATE corsd_store
                        corsd_alloc_counter benchmark::benchmark)
endif()
