#pragma once
// Least privilege for a running sensor. Capturing needs CAP_NET_RAW (and CAP_NET_ADMIN for
// promiscuous mode and ring set-up) only while the capture is opened; after that the sensor
// reads from descriptors it already holds, so every privilege is given up, as tcpdump -Z does.

#include <string>

namespace tapwatch::sensor {

/// Called once every input and output is open. With `user` (-Z USER): switches to that user and
/// its primary group, no supplementary groups, no capabilities (needs root). Without: if the
/// process is not root but holds capabilities (a service started as an unprivileged user with
/// AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN), drops them all; root stays root. False, with
/// one line in `error`, when the user is unknown or the change fails: the sensor must then not
/// go on with more privilege than asked for.
bool DropPrivileges(const std::string& user, std::string& error);

}  // namespace tapwatch::sensor
