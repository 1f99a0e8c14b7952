#pragma once
// CURVE key files (ZeroMQ's CurveZMQ, RFC 26) for an authenticated, encrypted record stream
// between machines. Files are in CZMQ's zcert text form, so zcert tools read them too:
//   NAME.key   public-key and secret-key (mode 0600): this host's own key pair
//   NAME.pub   public-key only: what the other side is given
// A --curve-keys DIR holds, on the sensor (the CURVE server): sensor.key and authorized/*.pub
// (the collectors allowed to subscribe); on the collector (a CURVE client): collector.key and
// sensor.pub (the sensors' public key).

#include <array>
#include <string>
#include <vector>

namespace tapwatch::curve {

/// A 32-byte CURVE key in ZeroMQ's Z85 text form (40 characters).
using Z85Key = std::string;

struct KeyPair {
  Z85Key public_key;
  Z85Key secret_key;
};

/// True when this libzmq was built with CURVE (libsodium).
bool CurveAvailable();

/// Makes a key pair (zmq_curve_keypair) and writes DIR/NAME.key (0600) and DIR/NAME.pub,
/// creating DIR (0700) if needed; never overwrites an existing key. False with one line in
/// `error` on failure.
bool GenerateKeyFiles(const std::string& dir, const std::string& name, std::string& error);

/// Reads a key file: the public key, and the secret key too when `want_secret`.
bool ReadKeyFile(const std::string& path, bool want_secret, KeyPair& out, std::string& error);

/// The public keys of every *.pub file in `dir`, in file name order.
bool ReadPublicKeys(const std::string& dir, std::vector<Z85Key>& out, std::string& error);

/// Server side (sensor): DIR/sensor.key and DIR/authorized/*.pub.
struct ServerKeys {
  KeyPair own;
  std::vector<Z85Key> authorized;
};
bool LoadServerKeys(const std::string& dir, ServerKeys& out, std::string& error);

/// Client side (collector): DIR/collector.key and DIR/sensor.pub.
struct ClientKeys {
  KeyPair own;
  Z85Key server_public;
};
bool LoadClientKeys(const std::string& dir, ClientKeys& out, std::string& error);

/// Sets the CURVE client options on a ZeroMQ socket (before it connects).
bool ApplyClientKeys(void* socket, const ClientKeys& keys, std::string& error);

}  // namespace tapwatch::curve
