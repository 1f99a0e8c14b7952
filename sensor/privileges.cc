#include "sensor/privileges.h"

#include <cap-ng.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace tapwatch::sensor {
namespace {

bool ClearCapabilities(std::string& error) {
  capng_get_caps_process();
  if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE) return true;
  capng_clear(CAPNG_SELECT_CAPS);
  // Lowering the permitted set drops the ambient set with it (capabilities(7)).
  if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
    error = "cannot drop capabilities: " + std::string(std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

bool DropPrivileges(const std::string& user, std::string& error) {
  if (user.empty()) return getuid() == 0 || ClearCapabilities(error);
  std::vector<char> buffer(16384);
  passwd pw{};
  passwd* found = nullptr;
  const int rc = getpwnam_r(user.c_str(), &pw, buffer.data(), buffer.size(), &found);
  if (rc != 0 || found == nullptr) {
    error = "-Z " + user + ": no such user";
    return false;
  }
  if (geteuid() != 0) {
    if (getuid() == pw.pw_uid) return ClearCapabilities(error);
    error = "-Z " + user + ": switching user needs root";
    return false;
  }
  capng_clear(CAPNG_SELECT_BOTH);
  // Sets the groups, gid and uid, in that order, and leaves no capability behind; the bounding
  // set is cleared too, so not even an executed set-uid program could regain one.
  if (capng_change_id(static_cast<int>(pw.pw_uid), static_cast<int>(pw.pw_gid),
                      static_cast<capng_flags_t>(CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING)) !=
      0) {
    error = "-Z " + user + ": cannot switch to uid " + std::to_string(pw.pw_uid) + ": " +
            std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace tapwatch::sensor
