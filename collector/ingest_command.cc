#include "collector/ingest_command.h"

#include <google/protobuf/arena.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "collector/cli_util.h"
#include "collector/gap_requester.h"
#include "collector/printable.h"
#include "collector/store.h"
#include "collector/subscriber.h"
#include "tapwatch.pb.h"

namespace tapwatch::collector {
namespace {

using Clock = std::chrono::steady_clock;

// Envelopes parsed by the receiver, handed to the writer in batches (one lock per batch).
// They live on the batch's arena: parsing allocates by bumping a pointer in a block the batch
// keeps for its whole life (a heap Envelope would cost a FlowRecord and a std::string per set
// field in malloc/free on every message), and Reset() releases them all at once.
struct Batch {
  static constexpr size_t kBlockBytes = 1 << 20;  // ~1,000 bench-sized envelopes

  Batch() : block(new char[kBlockBytes]), arena(ArenaOptions(block.get())) {}
  // On the receiving thread, before reuse: the writer is the busier one.
  void Reset() {
    items.clear();
    resent.clear();
    lost.clear();
    arena.Reset();
  }
  size_t count() const { return items.size() + lost.size(); }

  std::unique_ptr<char[]> block;  // the arena's first block, declared first: it outlives arena
  google::protobuf::Arena arena;
  std::vector<proto::Envelope*> items;
  std::vector<bool> resent;  // per item: sent again on request, not from the stream
  // Ranges a sensor said had left its buffer (GapRequester), for the store's accounting.
  std::vector<WantedRange> lost;

 private:
  static google::protobuf::ArenaOptions ArenaOptions(char* first_block) {
    google::protobuf::ArenaOptions o;
    o.initial_block = first_block;
    o.initial_block_size = kBlockBytes;
    o.start_block_size = 64 << 10;  // only a batch of unusually large envelopes gets here
    o.max_block_size = 1 << 20;
    return o;
  }
};

// Bounded hand-off queue. When the writer falls behind the receiver blocks, and messages wait
// in ZeroMQ's pipe in their compact wire form (RCVHWM 0: nothing is dropped).
class BatchQueue {
 public:
  static constexpr size_t kMaxBatches = 64;

  // False when the writer has failed and nothing more will be consumed.
  bool Push(std::unique_ptr<Batch> batch) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return queue_.size() < kMaxBatches || failed_; });
    if (failed_) return false;
    queue_.push_back(std::move(batch));
    ++pushed_;
    not_empty_.notify_one();
    return true;
  }

  // The writer has handled every batch pushed so far.
  void Done() {
    std::lock_guard lock(mutex_);
    ++done_;
  }
  bool CaughtUp() {
    std::lock_guard lock(mutex_);
    return done_ == pushed_;
  }

  // Waits until `deadline` for a batch; nullptr on timeout or when closed and empty.
  std::unique_ptr<Batch> Pop(Clock::time_point deadline, bool& closed_and_empty) {
    std::unique_lock lock(mutex_);
    not_empty_.wait_until(lock, deadline, [&] { return !queue_.empty() || closed_; });
    closed_and_empty = queue_.empty() && closed_;
    if (queue_.empty()) return nullptr;
    auto batch = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return batch;
  }

  // A used batch goes back for reuse (keeps the vector's capacity).
  void Recycle(std::unique_ptr<Batch> batch) {
    std::lock_guard lock(mutex_);
    if (free_.size() < kMaxBatches) free_.push_back(std::move(batch));
  }

  std::unique_ptr<Batch> Fresh() {
    std::unique_ptr<Batch> batch;
    {
      std::lock_guard lock(mutex_);
      if (free_.empty()) return std::make_unique<Batch>();
      batch = std::move(free_.back());
      free_.pop_back();
    }
    batch->Reset();
    return batch;
  }

  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
  }

  void Fail() {
    std::lock_guard lock(mutex_);
    failed_ = true;
    not_full_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::unique_ptr<Batch>> queue_;
  std::vector<std::unique_ptr<Batch>> free_;
  bool closed_ = false;
  bool failed_ = false;
  uint64_t pushed_ = 0;
  uint64_t done_ = 0;
};

constexpr size_t kBatchSize = 1024;
// Below this rate the deferred flows indexes are rebuilt (IngestOptions::IndexMode): a live
// sensor's trickle, far under what row-by-row index upkeep costs (~30,000 rows/s on one core).
constexpr double kSlowFlowsPerSecond = 5000;
constexpr int kSlowWindows = 5;
constexpr int kPollMs = 100;
// After the last final record (or a stop request), keep reading until this long passes without
// a message, but never longer than kMaxDrain.
constexpr int kDrainQuietMs = 50;
constexpr auto kMaxDrain = std::chrono::seconds(2);
// ... and while records asked for again are on their way, at most this long.
constexpr auto kMaxResendDrain = std::chrono::seconds(60);
constexpr int kResendPollMs = 5;

// Rebuilds the deferred flows indexes, saying how long it took (stderr, unless quiet).
bool RebuildIndexes(Store& store, const IngestOptions& options, const char* when) {
  if (!store.indexes_deferred()) return true;
  const auto t0 = Clock::now();
  const bool ok = store.RebuildIndexes();
  if (ok && !options.quiet) {
    std::fprintf(stderr, "tapwatch-collector: built flows indexes %s in %.2f s\n", when,
                 std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return ok;
}

void WriterLoop(Store& store, BatchQueue& queue, GapRequester& gaps, const IngestOptions& options,
                bool& ok) {
  const auto commit_after = std::chrono::milliseconds(options.commit_ms);
  // The bulk load is over, after some flows were stored (a collector waiting for its sensor
  // keeps the indexes deferred), when the writer spent 90% of a window of index_idle_ms waiting
  // for work and stored no flow (a replay ended), or did so kSlowWindows windows in a row while
  // storing flows at less than kSlowFlowsPerSecond (a live sensor's trickle). A bulk load on a
  // busy machine also has slow seconds, with the writer short of CPU rather than of work.
  const auto window = std::chrono::milliseconds(std::max<uint64_t>(options.index_idle_ms, 1));
  const double slow_flows = kSlowFlowsPerSecond * static_cast<double>(window.count()) / 1000.0;
  const bool rebuild_when_slow =
      options.index_mode == IngestOptions::IndexMode::kDeferUntilIdle;
  // Without pending rows the wait only bounds how late a rebuild can start.
  constexpr auto kIdlePoll = std::chrono::milliseconds(100);
  Clock::time_point first_pending{};
  Clock::time_point window_start = Clock::now();
  uint64_t window_base = store.flows_stored();
  Clock::duration window_waited{};
  int slow_windows = 0;
  bool rebuild_due = false;
  while (true) {
    const Clock::time_point deadline =
        store.pending_rows() > 0 ? first_pending + commit_after : Clock::now() + kIdlePoll;
    bool done = false;
    const Clock::time_point wait_start = Clock::now();
    std::unique_ptr<Batch> batch = queue.Pop(deadline, done);
    window_waited += Clock::now() - wait_start;
    if (batch) {
      if (store.pending_rows() == 0) first_pending = Clock::now();
      for (size_t i = 0; i < batch->items.size() && ok; ++i) {
        if (!store.Add(*batch->items[i], batch->resent[i])) ok = false;
        if (ok && store.pending_rows() >= options.commit_rows) {
          ok = store.Commit();
          first_pending = Clock::now();
        }
      }
      for (const WantedRange& lost : batch->lost) {
        ok = ok && store.GiveUp(lost.sensor_id, lost.instance_id, lost.range);
      }
      if (std::vector<WantedRange> wanted = store.TakeWanted(); !wanted.empty()) {
        gaps.Post(std::move(wanted));
      }
      queue.Recycle(std::move(batch));
      queue.Done();
    }
    if (ok && store.pending_rows() > 0 && Clock::now() >= first_pending + commit_after) {
      ok = store.Commit();
    }
    if (rebuild_when_slow && store.indexes_deferred() && Clock::now() - window_start >= window) {
      // Waiting for work, not stuck in a long commit (a backlog may be queued meanwhile).
      const uint64_t stored = store.flows_stored();
      const bool waiting = window_waited * 10 >= (Clock::now() - window_start) * 9;
      const bool slow = waiting && static_cast<double>(stored - window_base) < slow_flows;
      slow_windows = slow ? slow_windows + 1 : 0;
      rebuild_due = rebuild_due || (stored > 0 && waiting && (stored == window_base ||
                                                              slow_windows >= kSlowWindows));
      window_start = Clock::now();
      window_base = stored;
      window_waited = {};
    }
    // The report and `flows` get their indexes now rather than at exit. Only right after a
    // commit: rows still pending (a huge --commit-ms) must not be committed early by it.
    if (ok && rebuild_due && !done && store.pending_rows() == 0) {
      rebuild_due = false;
      ok = RebuildIndexes(store, options, "(ingest slowed down)");
    }
    if (!ok) {
      std::fprintf(stderr, "tapwatch-collector: store error: %s\n", store.error().c_str());
      queue.Fail();
      return;
    }
    if (done) break;
  }
  // Also commits sensor counters updated by records that stored no row (duplicates).
  ok = store.Commit() && RebuildIndexes(store, options, "at exit");
  if (!ok) std::fprintf(stderr, "tapwatch-collector: store error: %s\n", store.error().c_str());
}

std::atomic<bool> g_signal_stop{false};

extern "C" void OnStopSignal(int) { g_signal_stop.store(true); }

}  // namespace

IngestOptions ParseIngestOptions(int argc, char** argv, int first) {
  IngestOptions o;
  ArgScanner args(argc, argv, first);
  while (!args.Done()) {
    const std::string_view opt = args.Next();
    if (opt == "--connect") {
      o.endpoints.push_back(args.Value());
    } else if (opt == "--db") {
      o.db_path = args.Value();
    } else if (opt == "--exit-after-final") {
      o.exit_after_final = ParseUint(opt, args.Value(), 1000000);
      if (o.exit_after_final == 0) throw UsageError("--exit-after-final: must be at least 1");
    } else if (opt == "--idle-exit") {
      o.idle_exit_s = ParseSeconds(opt, args.Value());
      if (o.idle_exit_s <= 0) throw UsageError("--idle-exit: must be more than 0 seconds");
    } else if (opt == "--quiet") {
      o.quiet = true;
    } else if (opt == "--commit-rows") {
      o.commit_rows = ParseUint(opt, args.Value(), 100000000);
      if (o.commit_rows == 0) throw UsageError("--commit-rows: must be at least 1");
    } else if (opt == "--defer-indexes") {
      o.index_mode = IngestOptions::IndexMode::kDeferUntilExit;
    } else if (opt == "--index-during-load") {
      o.index_mode = IngestOptions::IndexMode::kMaintain;
    } else if (opt == "--index-idle-ms") {
      o.index_idle_ms = ParseUint(opt, args.Value(), 86400000);
    } else if (opt == "--commit-ms") {
      o.commit_ms = ParseUint(opt, args.Value(), 86400000);
    } else if (opt.starts_with("-")) {
      throw UsageError("unknown option '" + std::string(opt) + "'");
    } else {
      throw UsageError("unknown command '" + std::string(opt) + "' (try --help)");
    }
  }
  if (o.endpoints.empty()) throw UsageError("missing --connect ENDPOINT");
  if (o.db_path.empty()) throw UsageError("missing --db FILE");
  return o;
}

IngestResult RunIngest(const IngestOptions& options, const std::atomic<bool>& stop, FILE* out) {
  IngestResult result;
  std::string error;
  std::unique_ptr<Store> store = Store::Open(options.db_path, error);
  if (!store) {
    std::fprintf(stderr, "tapwatch-collector: %s\n", error.c_str());
    result.exit_code = kExitUsage;
    return result;
  }
  if (options.index_mode != IngestOptions::IndexMode::kMaintain && !store->DeferIndexes()) {
    std::fprintf(stderr, "tapwatch-collector: --db %s: %s\n", options.db_path.c_str(),
                 store->error().c_str());
    result.exit_code = 1;
    return result;
  }
  std::unique_ptr<Subscriber> subscriber = Subscriber::Create(options.endpoints, error);
  if (!subscriber) {
    std::fprintf(stderr, "tapwatch-collector: %s\n", error.c_str());
    result.exit_code = kExitUsage;
    return result;
  }

  BatchQueue queue;
  bool writer_ok = true;
  // Signals go to the receiving thread (whose zmq_poll they interrupt), never to the writer.
  sigset_t block;
  sigset_t previous;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &previous);
  GapRequester gaps;
  // A collector restarted while its sensors went on: ask them at once for what they sent since.
  for (const SequenceTracker::Unfinished& u : store->WantUnfinished()) {
    gaps.NoteEndpoint(u.sensor_id, u.instance_key, u.endpoint);
  }
  gaps.Post(store->TakeWanted());
  std::thread writer([&] { WriterLoop(*store, queue, gaps, options, writer_ok); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  RawMessage message;
  std::unique_ptr<Batch> batch = queue.Fresh();
  std::set<std::string, std::less<>> finals;
  bool draining = false;
  bool finals_reached = false;
  bool receive_error = false;
  Clock::time_point drain_until{};
  Clock::time_point last_message = Clock::now();
  const auto idle_limit = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.idle_exit_s));
  bool queue_ok = true;

  auto flush = [&] {
    if (batch->count() == 0) return;
    queue_ok = queue.Push(std::move(batch)) && queue_ok;
    batch = queue.Fresh();
  };

  // One received record: into the batch; a sensor's final stats record may end the run.
  auto accept = [&](proto::Envelope& envelope, bool resent) {
    batch->items.push_back(&envelope);
    batch->resent.push_back(resent);
    if (options.exit_after_final > 0 && envelope.has_stats() && envelope.stats().final()) {
      std::string_view id = envelope.sensor_id();
      if (id.empty()) id = envelope.stats().sensor_id();
      if (finals.find(id) == finals.end()) finals.emplace(id);
      if (finals.size() >= options.exit_after_final) finals_reached = true;
    }
  };

  // The resend endpoint an envelope announces, for the gap requester.
  auto note_endpoint = [&](const proto::Envelope& envelope, std::string_view endpoint) {
    if (endpoint.empty()) return;
    gaps.NoteEndpoint(envelope.sensor_id(),
                      InstanceKey(envelope.instance_id(), envelope.sensor_start_ns()), endpoint);
  };
  // One message of records, from the stream or answered by a sensor's resend socket.
  auto take = [&](std::string_view topic, std::string_view body, bool resent) {
    if (topic == "batch.flow") {
      // Several envelopes: they stay on the batch's arena with the EnvelopeBatch.
      auto& several =
          *google::protobuf::Arena::CreateMessage<proto::EnvelopeBatch>(&batch->arena);
      if (!several.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        ++result.malformed;
        return;
      }
      if (several.envelopes_size() > 0 && !several.resend_endpoint().empty()) {
        // The store keeps it per instance too (for its next start): on the first envelope.
        proto::Envelope& first = *several.mutable_envelopes(0);
        first.set_resend_endpoint(several.resend_endpoint());
        note_endpoint(first, first.resend_endpoint());
      }
      for (proto::Envelope& envelope : *several.mutable_envelopes()) accept(envelope, resent);
    } else {
      proto::Envelope& envelope =
          *google::protobuf::Arena::CreateMessage<proto::Envelope>(&batch->arena);
      if (!envelope.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        ++result.malformed;  // its arena space is reclaimed with the batch's
        return;
      }
      note_endpoint(envelope, envelope.resend_endpoint());
      accept(envelope, resent);
    }
    if (batch->count() >= kBatchSize) flush();
  };
  auto lost = [&](const std::string& sensor_id, uint64_t instance_key, SeqRange range) {
    batch->lost.push_back(WantedRange{sensor_id, instance_key, range});
  };
  // Draining ends once the writer has seen everything and no resend is pending, or at the cap.
  Clock::time_point drain_cap{};
  auto drained = [&] {
    if (Clock::now() >= drain_cap) return true;
    return batch->count() == 0 && queue.CaughtUp() && gaps.idle();
  };
  auto start_draining = [&] {
    draining = true;
    drain_until = Clock::now() + kMaxDrain;
    drain_cap = Clock::now() + kMaxResendDrain;
  };

  while (queue_ok) {
    if (!draining && stop.load(std::memory_order_relaxed)) start_draining();
    if (!draining && finals_reached) start_draining();
    gaps.Pump([&](std::string_view topic, std::string_view body) { take(topic, body, true); },
              lost);
    const bool resending = !gaps.idle();
    if (draining && Clock::now() >= drain_until && drained()) break;
    // With a partial batch in hand, do not wait: hand it over first so it gets committed.
    const int timeout_ms = batch->count() > 0 ? 0
                           : resending        ? kResendPollMs
                           : draining         ? kDrainQuietMs
                                              : kPollMs;
    const Subscriber::Result r = subscriber->Receive(timeout_ms, message);
    if (r == Subscriber::Result::kMessage) {
      ++result.messages;
      last_message = Clock::now();
      if (message.frames() != 2) {
        ++result.malformed;
        continue;
      }
      take(message.topic(), message.body(), false);
    } else if (r == Subscriber::Result::kTimeout) {
      if (batch->count() > 0) {
        flush();
        continue;
      }
      if (draining && drained()) break;
      if (options.idle_exit_s > 0 && Clock::now() - last_message >= idle_limit && gaps.idle()) {
        break;
      }
    } else if (r == Subscriber::Result::kError) {
      std::fprintf(stderr, "tapwatch-collector: receive error: %s\n", subscriber->error().c_str());
      receive_error = true;
      break;
    }
    // kInterrupted: loop around and look at the stop flag.
  }
  flush();
  queue.Close();
  writer.join();
  subscriber.reset();

  result.flows_stored = store->flows_stored();
  result.stats_stored = store->stats_stored();
  if (!writer_ok || receive_error) result.exit_code = 1;
  if (!options.quiet) {
    for (const auto& [id, c] : store->tracker().sensors()) {
      std::fprintf(out, "sensor %s: received %llu, lost %llu, duplicates %llu",
                   Printable(id).c_str(),
                   static_cast<unsigned long long>(c.received),
                   static_cast<unsigned long long>(c.gaps),
                   static_cast<unsigned long long>(c.duplicates));
      const std::pair<const char*, uint64_t> more[] = {
          {"recovered", c.recovered},   {"unrecoverable", c.unrecoverable},
          {"restarts", c.restarts},     {"resyncs", c.resyncs},
          {"id conflicts", c.conflicts}};
      for (const auto& [name, value] : more) {
        if (value > 0) std::fprintf(out, ", %s %llu", name, static_cast<unsigned long long>(value));
      }
      std::fputc('\n', out);
      if (c.conflicts > 0) {
        std::fprintf(out,
                     "sensor %s: %llu other process(es) sent under the same sensor id; give each "
                     "sensor its own --sensor-id\n",
                     Printable(id).c_str(), static_cast<unsigned long long>(c.conflicts));
      }
    }
    if (gaps.records_requested() > 0 || gaps.records_not_askable() > 0) {
      std::fprintf(out,
                   "resend: %llu records asked for again, %llu requests unanswered, %llu records "
                   "of sensors without a resend endpoint\n",
                   static_cast<unsigned long long>(gaps.records_requested()),
                   static_cast<unsigned long long>(gaps.requests_timed_out()),
                   static_cast<unsigned long long>(gaps.records_not_askable()));
    }
    std::fprintf(out, "stored %llu flows, %llu stats; %llu malformed messages\n",
                 static_cast<unsigned long long>(result.flows_stored),
                 static_cast<unsigned long long>(result.stats_stored),
                 static_cast<unsigned long long>(result.malformed));
    std::fflush(out);
  }
  return result;
}

int RunIngestCommand(int argc, char** argv, int first) {
  const IngestOptions options = ParseIngestOptions(argc, argv, first);
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: the receiver's zmq_poll must return EINTR so the stop is seen at once.
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return RunIngest(options, g_signal_stop, stdout).exit_code;
}

}  // namespace tapwatch::collector
