#include "service/dns/resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace corsd::dns {

std::string IpAddressText(const IpAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = address.v6 ? AF_INET6 : AF_INET;
  if (inet_ntop(family, address.bytes.data(), text, sizeof(text)) == nullptr) {
    // Unreachable: both families fit INET6_ADDRSTRLEN.
    return std::string();
  }
  return std::string(text);
}

}  // namespace corsd::dns
