// corsctl: the command line of corsd. See `corsctl --help`.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "client/corsctl/corsctl.h"

namespace {

std::string GetEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  corsd::corsctl::Invocation base;
  base.out = &std::cout;
  base.err = &std::cerr;
  base.stdin_fd = STDIN_FILENO;
  base.stderr_is_tty = isatty(STDERR_FILENO) == 1;
  base.env.corsd_addr = GetEnv("CORSD_ADDR");
  base.env.corsd_admin_addr = GetEnv("CORSD_ADMIN_ADDR");
  base.env.corsd_token_file = GetEnv("CORSD_TOKEN_FILE");
  std::vector<std::string> args(argv + 1, argv + argc);
  int rc = corsd::corsctl::CorsctlMain(args, base);
  std::cout.flush();
  std::cerr.flush();
  return rc;
}
