#include "curve/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tapwatch::curve {
namespace {

constexpr size_t kZ85KeyChars = 40;

// The quoted value of `name = "..."` in zcert text; empty when absent.
std::string QuotedValue(const std::string& text, const std::string& name) {
  size_t at = 0;
  while ((at = text.find(name, at)) != std::string::npos) {
    const size_t eq = text.find_first_not_of(" \t", at + name.size());
    at += name.size();
    if (eq == std::string::npos || text[eq] != '=') continue;
    const size_t open = text.find('"', eq);
    const size_t close = open == std::string::npos ? open : text.find('"', open + 1);
    if (close == std::string::npos) return "";
    return text.substr(open + 1, close - open - 1);
  }
  return "";
}

bool ValidZ85Key(const std::string& key) {
  uint8_t binary[32];
  return key.size() == kZ85KeyChars && zmq_z85_decode(binary, key.c_str()) != nullptr;
}

bool WriteFile(const std::string& path, const std::string& text, mode_t mode,
               std::string& error) {
  // O_EXCL: a key is never overwritten (a collector's authorization would silently break).
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (!ok) error = path + ": " + std::strerror(errno);
  return ::close(fd) == 0 && ok;
}

std::string CertText(const KeyPair& keys, bool with_secret) {
  std::string text =
      "#   tapwatch CURVE " + std::string(with_secret ? "key pair: keep secret" : "public key") +
      "\ncurve\n    public-key = \"" + keys.public_key + "\"\n";
  if (with_secret) text += "    secret-key = \"" + keys.secret_key + "\"\n";
  return text;
}

}  // namespace

bool CurveAvailable() { return zmq_has("curve") != 0; }

bool GenerateKeyFiles(const std::string& dir, const std::string& name, std::string& error) {
  if (!CurveAvailable()) {
    error = "this libzmq has no CURVE support (built without libsodium)";
    return false;
  }
  if (name.empty() || name.find('/') != std::string::npos) {
    error = "key name '" + name + "': expected a plain file name";
    return false;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    error = dir + ": " + std::strerror(errno);
    return false;
  }
  char public_key[kZ85KeyChars + 1];
  char secret_key[kZ85KeyChars + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    error = std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno());
    return false;
  }
  const KeyPair keys{public_key, secret_key};
  const std::string base = dir + "/" + name;
  return WriteFile(base + ".key", CertText(keys, true), 0600, error) &&
         WriteFile(base + ".pub", CertText(keys, false), 0644, error);
}

bool ReadKeyFile(const std::string& path, bool want_secret, KeyPair& out, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot read";
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  out.public_key = QuotedValue(text.str(), "public-key");
  out.secret_key = want_secret ? QuotedValue(text.str(), "secret-key") : "";
  if (!ValidZ85Key(out.public_key) || (want_secret && !ValidZ85Key(out.secret_key))) {
    error = path + ": not a CURVE " + (want_secret ? "key pair" : "public key") +
            " (expected public-key = \"<40 Z85 characters>\"" +
            (want_secret ? " and secret-key" : "") + ")";
    return false;
  }
  return true;
}

bool ReadPublicKeys(const std::string& dir, std::vector<Z85Key>& out, std::string& error) {
  std::error_code ec;
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pub") paths.push_back(entry.path().string());
  }
  if (ec) {
    error = dir + ": " + ec.message();
    return false;
  }
  std::sort(paths.begin(), paths.end());
  for (const std::string& path : paths) {
    KeyPair key;
    if (!ReadKeyFile(path, false, key, error)) return false;
    out.push_back(key.public_key);
  }
  return true;
}

bool LoadServerKeys(const std::string& dir, ServerKeys& out, std::string& error) {
  if (!CurveAvailable()) {
    error = "--curve-keys: this libzmq has no CURVE support (built without libsodium)";
    return false;
  }
  if (!ReadKeyFile(dir + "/sensor.key", true, out.own, error) ||
      !ReadPublicKeys(dir + "/authorized", out.authorized, error)) {
    error = "--curve-keys " + error;
    return false;
  }
  if (out.authorized.empty()) {
    error = "--curve-keys " + dir + "/authorized: no collector key (*.pub): nobody could subscribe";
    return false;
  }
  return true;
}

bool LoadClientKeys(const std::string& dir, ClientKeys& out, std::string& error) {
  if (!CurveAvailable()) {
    error = "--curve-keys: this libzmq has no CURVE support (built without libsodium)";
    return false;
  }
  KeyPair server;
  if (!ReadKeyFile(dir + "/collector.key", true, out.own, error) ||
      !ReadKeyFile(dir + "/sensor.pub", false, server, error)) {
    error = "--curve-keys " + error;
    return false;
  }
  out.server_public = server.public_key;
  return true;
}

bool ApplyClientKeys(void* socket, const ClientKeys& keys, std::string& error) {
  if (zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, keys.server_public.c_str(), kZ85KeyChars) != 0 ||
      zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, keys.own.public_key.c_str(), kZ85KeyChars) !=
          0 ||
      zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, keys.own.secret_key.c_str(), kZ85KeyChars) !=
          0) {
    error = std::string("--curve-keys: ") + zmq_strerror(zmq_errno());
    return false;
  }
  return true;
}

}  // namespace tapwatch::curve
