#include "curve/zap_authenticator.h"

#include <zmq.h>

#include <cstdio>

namespace tapwatch::curve {
namespace {

// The endpoint libzmq sends ZAP requests to (RFC 27).
constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
constexpr char kZapDomain[] = "tapwatch";
constexpr int kPollMs = 100;

// Receives every frame of one message; false on error.
bool ReceiveFrames(void* socket, std::vector<std::string>& frames) {
  frames.clear();
  int more = 0;
  do {
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, socket, 0) < 0) {
      zmq_msg_close(&part);
      return false;
    }
    frames.emplace_back(static_cast<const char*>(zmq_msg_data(&part)), zmq_msg_size(&part));
    more = zmq_msg_more(&part);
    zmq_msg_close(&part);
  } while (more);
  return true;
}

void Reply(void* socket, const std::string& request_id, const char* status, const char* text) {
  const std::string frames[] = {"1.0", request_id, status, text, "", ""};
  for (size_t i = 0; i < 6; ++i) {
    zmq_send(socket, frames[i].data(), frames[i].size(), i + 1 < 6 ? ZMQ_SNDMORE : 0);
  }
}

}  // namespace

bool ZapAuthenticator::Start(void* context, const std::vector<Z85Key>& authorized,
                             std::string& error) {
  for (const Z85Key& key : authorized) {
    uint8_t binary[32];
    if (zmq_z85_decode(binary, key.c_str()) == nullptr) {
      error = "--curve-keys: bad authorized key " + key;
      return false;
    }
    authorized_.emplace(reinterpret_cast<const char*>(binary), sizeof(binary));
  }
  socket_ = zmq_socket(context, ZMQ_REP);
  if (socket_ == nullptr || zmq_bind(socket_, kZapEndpoint) != 0) {
    error = std::string("--curve-keys: ZAP handler: ") + zmq_strerror(zmq_errno());
    if (socket_ != nullptr) zmq_close(socket_);
    socket_ = nullptr;
    return false;
  }
  thread_ = std::thread([this] { Run(); });
  return true;
}

void ZapAuthenticator::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (socket_ != nullptr) zmq_close(socket_);
  socket_ = nullptr;
}

void ZapAuthenticator::Run() {
  std::vector<std::string> request;
  std::set<std::string> reported;  // addresses already named on stderr
  while (!stop_.load()) {
    zmq_pollitem_t item{socket_, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, kPollMs) <= 0) continue;
    if (!ReceiveFrames(socket_, request)) continue;
    // version, request id, domain, address, routing id, mechanism, credentials...
    if (request.size() < 6) continue;  // not a ZAP request: REP needs no reply to drop it
    const std::string& request_id = request[1];
    const bool curve = request[5] == "CURVE" && request.size() >= 7;
    if (request[0] == "1.0" && curve && authorized_.count(request[6]) > 0) {
      ++accepted_;
      Reply(socket_, request_id, "200", "OK");
      continue;
    }
    ++refused_;
    Reply(socket_, request_id, "400", "key not authorized");
    // Once per address: a refused client retries every few hundred milliseconds.
    if (reported.insert(request[3]).second) {
      std::fprintf(stderr, "tapwatch-sensor: refused a subscriber from %s: its CURVE key is not "
                   "in authorized/\n", request[3].c_str());
    }
  }
}

bool ApplyServerKeys(void* socket, const KeyPair& own, std::string& error) {
  const int one = 1;
  if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &one, sizeof(one)) != 0 ||
      zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, own.secret_key.c_str(), own.secret_key.size()) !=
          0 ||
      zmq_setsockopt(socket, ZMQ_ZAP_DOMAIN, kZapDomain, sizeof(kZapDomain) - 1) != 0) {
    error = std::string("--curve-keys: ") + zmq_strerror(zmq_errno());
    return false;
  }
  return true;
}

}  // namespace tapwatch::curve
