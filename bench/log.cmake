# Log source benchmark: bench/log_bench.sh runs it against `grep -c .`.
add_executable(log_bench ${CMAKE_CURRENT_SOURCE_DIR}/log_bench.cc)
target_link_libraries(log_bench PRIVATE tapwatch_log tapwatch_warnings)
