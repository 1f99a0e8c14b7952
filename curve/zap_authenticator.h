#pragma once
// The ZAP handler (ZeroMQ RFC 27) of a CURVE server: libzmq asks it about every client that
// completed the CURVE handshake, and it admits only the public keys it was given. Without a
// handler libzmq would admit any client that knows the server's public key.

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "curve/curve_keys.h"

namespace tapwatch::curve {

class ZapAuthenticator {
 public:
  /// Binds the handler in `context` (before any CURVE server socket of that context binds) and
  /// starts its thread. False with `error` on failure.
  bool Start(void* context, const std::vector<Z85Key>& authorized, std::string& error);
  /// Stops the thread and closes the handler socket; must run before zmq_ctx_term.
  void Stop();
  ~ZapAuthenticator() { Stop(); }

  uint64_t accepted() const { return accepted_.load(); }
  uint64_t refused() const { return refused_.load(); }

 private:
  void Run();

  void* socket_ = nullptr;
  std::set<std::string> authorized_;  // 32-byte binary keys
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
};

/// Sets the CURVE server options on a ZeroMQ socket (before it binds).
bool ApplyServerKeys(void* socket, const KeyPair& own, std::string& error);

}  // namespace tapwatch::curve
