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

#include "cli/command_line.h"
#include "collector/cli_util.h"
#include "collector/gap_requester.h"
#include "collector/printable.h"
#include "collector/record_validation.h"
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
    verdicts.clear();
    wire_bytes = 0;
    resent.clear();
    lost.clear();
    arena.Reset();
  }
  size_t count() const { return items.size() + lost.size(); }

  std::unique_ptr<char[]> block;  // the arena's first block, declared first: it outlives arena
  google::protobuf::Arena arena;
  std::vector<proto::Envelope*> items;
  std::vector<std::optional<RejectReason>> verdicts;  // one per item, by the receiving thread
  size_t wire_bytes = 0;                              // bodies parsed onto the arena
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

// Bounded hand-off queue, in batches and in bytes (a hostile publisher's large messages parse
// into large batches). When the writer falls behind the receiver blocks, and messages wait in
// ZeroMQ's pipe in their compact wire form (RCVHWM 0: nothing is dropped).
class BatchQueue {
 public:
  static constexpr size_t kMaxBatches = 64;
  static constexpr size_t kMaxQueuedBytes = 64 << 20;

  void Push(std::unique_ptr<Batch> batch) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] {
      return queue_.empty() || (queue_.size() < kMaxBatches && queued_bytes_ < kMaxQueuedBytes);
    });
    queued_bytes_ += batch->wire_bytes;
    queue_.push_back(std::move(batch));
    ++pushed_;
    not_empty_.notify_one();
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
    queued_bytes_ -= batch->wire_bytes;
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

 private:
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::unique_ptr<Batch>> queue_;
  std::vector<std::unique_ptr<Batch>> free_;
  size_t queued_bytes_ = 0;
  bool closed_ = false;
  uint64_t pushed_ = 0;
  uint64_t done_ = 0;
};

constexpr size_t kBatchSize = 1024;
constexpr size_t kBatchBytes = 8 << 20;
// Below this rate the deferred flows indexes are rebuilt (IngestOptions::IndexMode): a live
// sensor's trickle, far under what row-by-row index upkeep costs (~30,000 rows/s on one core).
constexpr double kSlowFlowsPerSecond = 5000;
constexpr int kSlowWindows = 5;
constexpr int kPollMs = 100;
// After the last final record (or a stop request), keep reading until this long passes without
// a message, but never longer than kMaxDrain.
constexpr int kDrainQuietMs = 50;
constexpr auto kMaxDrain = std::chrono::seconds(2);
// After a store error, records are still received and counted (unstored) so the summary says
// what was lost, until the usual end (final records, a stop, --idle-exit) or this long without
// a message, but never longer than kMaxCountAfterFailure: a live sensor never stops sending.
constexpr auto kQuietAfterFailure = std::chrono::seconds(2);
constexpr auto kMaxCountAfterFailure = std::chrono::seconds(60);
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

// --retain-days: deletes what is older than the window, at start and every retain_every_s.
class Retention {
 public:
  explicit Retention(const IngestOptions& options) : options_(options) {}

  // False on a store error.
  bool RunIfDue(Store& store) {
    if (options_.retain_days == 0 || Clock::now() < next_) return true;
    next_ = Clock::now() + std::chrono::seconds(options_.retain_every_s);
    const auto now_ns = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    const uint64_t window_ns = options_.retain_days * 86400ull * 1000000000ull;
    const uint64_t cutoff_ns = now_ns > window_ns ? now_ns - window_ns : 0;
    uint64_t flows = 0;
    uint64_t stats = 0;
    if (!store.DeleteBefore(cutoff_ns, flows, stats)) return false;
    flows_expired += flows;
    stats_expired += stats;
    if ((flows > 0 || stats > 0) && !options_.quiet) {
      std::fprintf(stderr,
                   "tapwatch-collector: --retain-days %llu: deleted %llu flows, %llu stats\n",
                   static_cast<unsigned long long>(options_.retain_days),
                   static_cast<unsigned long long>(flows), static_cast<unsigned long long>(stats));
    }
    return true;
  }

  uint64_t flows_expired = 0;
  uint64_t stats_expired = 0;

 private:
  const IngestOptions& options_;
  Clock::time_point next_{};
};

// A store error is reported once; the writer goes on accounting what arrives (Store::Add).
void WriterLoop(Store& store, BatchQueue& queue, GapRequester& gaps, const IngestOptions& options,
                Retention& retention, bool& ok, std::atomic<bool>& store_failed) {
  auto check = [&](bool step_ok) {
    if (step_ok || !ok) return;
    ok = false;
    std::fprintf(stderr, "tapwatch-collector: --db %s: store error: %s\n",
                 options.db_path.c_str(), store.error().c_str());
    if (store.failed()) {
      std::fprintf(stderr,
                   "tapwatch-collector: --db %s: nothing more is stored; counting what arrives\n",
                   options.db_path.c_str());
    }
    store_failed.store(true);
  };
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
      for (size_t i = 0; i < batch->items.size(); ++i) {
        check(store.Add(*batch->items[i], batch->verdicts[i], batch->resent[i]));
        if (!store.failed() && store.pending_rows() >= options.commit_rows) {
          check(store.Commit());
          first_pending = Clock::now();
        }
      }
      for (const WantedRange& lost : batch->lost) {
        if (!store.failed()) check(store.GiveUp(lost.sensor_id, lost.instance_id, lost.range));
      }
      if (std::vector<WantedRange> wanted = store.TakeWanted(); !wanted.empty()) {
        gaps.Post(std::move(wanted));
      }
      queue.Recycle(std::move(batch));
      queue.Done();
    }
    if (!store.failed() && store.pending_rows() > 0 &&
        Clock::now() >= first_pending + commit_after) {
      check(store.Commit());
    }
    // Between commits only: rows still pending wait for their own commit time.
    if (ok && !store.failed() && store.pending_rows() == 0) check(retention.RunIfDue(store));
    if (ok && rebuild_when_slow && store.indexes_deferred() &&
        Clock::now() - window_start >= window) {
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
      check(RebuildIndexes(store, options, "(ingest slowed down)"));
    }
    if (done) break;
  }
  // Also commits sensor counters updated by records that stored no row (duplicates, rejected).
  if (ok) check(store.Commit() && RebuildIndexes(store, options, "at exit"));
}

using ull = unsigned long long;

// One line per sensor, then the totals: every record and message received is in one count.
void PrintSummary(const Store& store, const IngestResult& result, FILE* out) {
  for (const auto& [id, c] : store.tracker().sensors()) {
    std::fprintf(out, "sensor %s: received %llu, lost %llu, duplicates %llu",
                 Printable(id).c_str(), static_cast<ull>(c.received), static_cast<ull>(c.gaps),
                 static_cast<ull>(c.duplicates));
    const std::pair<const char*, uint64_t> more[] = {
        {"recovered", c.recovered}, {"unrecoverable", c.unrecoverable}, {"restarts", c.restarts},
        {"resyncs", c.resyncs},     {"id conflicts", c.conflicts}};
    for (const auto& [name, value] : more) {
      if (value > 0) std::fprintf(out, ", %s %llu", name, static_cast<ull>(value));
    }
    const auto rejected = store.rejected_by_sensor().find(id);
    if (rejected != store.rejected_by_sensor().end() && rejected->second.total() > 0) {
      std::fprintf(out, ", rejected %llu", static_cast<ull>(rejected->second.total()));
    }
    std::fputc('\n', out);
    if (c.conflicts > 0) {
      std::fprintf(out,
                   "sensor %s: %llu other process(es) sent under the same sensor id; give each "
                   "sensor its own --sensor-id\n",
                   Printable(id).c_str(), static_cast<ull>(c.conflicts));
    }
  }
  std::fprintf(out, "stored %llu flows, %llu stats; %llu malformed messages",
               static_cast<ull>(result.flows_stored), static_cast<ull>(result.stats_stored),
               static_cast<ull>(result.malformed));
  if (result.unknown_topic > 0) {
    std::fprintf(out, ", %llu with an unknown topic", static_cast<ull>(result.unknown_topic));
  }
  if (result.too_large > 0) {
    std::fprintf(out, ", %llu over %lld MiB", static_cast<ull>(result.too_large),
                 static_cast<long long>(kMaxMessageBytes >> 20));
  }
  if (result.too_many_envelopes > 0) {
    std::fprintf(out, ", %llu with over %zu records", static_cast<ull>(result.too_many_envelopes),
                 kMaxEnvelopesPerMessage);
  }
  if (result.rejected.total() > 0) {
    std::fprintf(out, "; rejected %llu records (", static_cast<ull>(result.rejected.total()));
    const char* separator = "";
    for (size_t i = 0; i < kRejectReasonCount; ++i) {
      if (result.rejected.by_reason[i] == 0) continue;
      std::fprintf(out, "%s%s %llu", separator, RejectReasonName(static_cast<RejectReason>(i)),
                   static_cast<ull>(result.rejected.by_reason[i]));
      separator = ", ";
    }
    std::fputc(')', out);
  }
  if (result.unstored > 0) {
    std::fprintf(out, "; %llu records not stored (store error)",
                 static_cast<ull>(result.unstored));
  }
  std::fputc('\n', out);
  std::fflush(out);
}

std::atomic<bool> g_signal_stop{false};

extern "C" void OnStopSignal(int) { g_signal_stop.store(true); }

}  // namespace

IngestOptions ParseIngestOptions(int argc, char** argv, int first) {
  IngestOptions o;
  cli::CommandLine cl({"collector"});
  cl.Texts("--connect", o.endpoints);
  cl.Text("--db", o.db_path);
  cl.Uint("--exit-after-final", o.exit_after_final, 1000000, 1);
  cl.Custom("--idle-exit", [&](const std::string& v) {
    o.idle_exit_s = ParseSeconds("--idle-exit", v);
    if (o.idle_exit_s <= 0) throw UsageError("--idle-exit: must be more than 0 seconds");
  });
  cl.Flag("--quiet", o.quiet);
  cl.Text("--curve-keys", o.curve_keys_dir);
  cl.Uint("--retain-days", o.retain_days, 100000);
  cl.Uint("--retain-every", o.retain_every_s, 86400 * 365, 1);
  cl.Uint("--commit-rows", o.commit_rows, 100000000, 1);
  cl.OnFlag("--defer-indexes", [&] { o.index_mode = IngestOptions::IndexMode::kDeferUntilExit; });
  cl.OnFlag("--index-during-load", [&] { o.index_mode = IngestOptions::IndexMode::kMaintain; });
  cl.Uint("--index-idle-ms", o.index_idle_ms, 86400000);
  cl.Uint("--commit-ms", o.commit_ms, 86400000);
  if (cl.Parse(argc, argv, first) != cli::ParseOutcome::kRun) {
    throw UsageError("ingest: -h/--version go before the command (see --help)");
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
  std::unique_ptr<Subscriber> subscriber = Subscriber::Create(options.endpoints, error, options.curve_keys_dir);
  if (!subscriber) {
    std::fprintf(stderr, "tapwatch-collector: %s\n", error.c_str());
    result.exit_code = kExitUsage;
    return result;
  }

  BatchQueue queue;
  bool writer_ok = true;
  std::atomic<bool> store_failed{false};
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
  Retention retention(options);
  std::thread writer([&] {
    WriterLoop(*store, queue, gaps, options, retention, writer_ok, store_failed);
  });
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
  bool counting_after_failure = false;
  Clock::time_point count_until{};

  auto flush = [&] {
    if (batch->count() == 0) {
      batch->Reset();  // what malformed messages left on the arena
      return;
    }
    queue.Push(std::move(batch));
    batch = queue.Fresh();
  };

  // One received record: checked (here, off the busier writer thread) and into the batch; a
  // sensor's final stats record may end the run.
  uint64_t now_ns = 0;  // wall clock when the current message arrived
  auto accept = [&](proto::Envelope& envelope, bool resent) {
    const std::optional<RejectReason> verdict = ValidateEnvelope(envelope, now_ns);
    batch->items.push_back(&envelope);
    batch->verdicts.push_back(verdict);
    batch->resent.push_back(resent);
    if (verdict) return;
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
    // ZeroMQ subscriptions match prefixes: "flowX" arrives too, and is not ours.
    const bool batched = topic == "batch.flow";
    if (!batched && topic != "flow" && topic != "stats") {
      ++result.unknown_topic;
      return;
    }
    if (body.size() > static_cast<size_t>(kMaxMessageBytes)) {
      ++result.too_large;
      return;
    }
    now_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());  // a vDSO call: cheap per message
    batch->wire_bytes += body.size();
    if (batched) {
      const std::optional<size_t> envelopes = CountBatchEnvelopes(body);
      if (!envelopes) {
        ++result.malformed;
        return;
      }
      if (*envelopes > kMaxEnvelopesPerMessage) {
        ++result.too_many_envelopes;
        return;
      }
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
    if (batch->count() >= kBatchSize || batch->wire_bytes >= kBatchBytes) flush();
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

  while (true) {
    if (!draining && stop.load(std::memory_order_relaxed)) start_draining();
    if (!draining && finals_reached) start_draining();
    gaps.Pump([&](std::string_view topic, std::string_view body) { take(topic, body, true); },
              lost);
    const bool resending = !gaps.idle();
    if (draining && Clock::now() >= drain_until && drained()) break;
    // After a store error: count what still arrives, then stop (kQuietAfterFailure).
    if (!counting_after_failure && store_failed.load(std::memory_order_relaxed)) {
      counting_after_failure = true;
      count_until = Clock::now() + kMaxCountAfterFailure;
    }
    if (counting_after_failure &&
        (Clock::now() >= count_until || Clock::now() - last_message >= kQuietAfterFailure)) {
      break;
    }
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
  result.rejected = store->rejected();
  result.unstored = store->unstored();
  result.flows_expired = retention.flows_expired;
  result.stats_expired = retention.stats_expired;
  if (!writer_ok || receive_error) result.exit_code = 1;
  if (!options.quiet) {
    PrintSummary(*store, result, out);
    if (options.retain_days > 0) {
      std::fprintf(out, "expired %llu flows, %llu stats older than %llu days\n",
                   static_cast<unsigned long long>(result.flows_expired),
                   static_cast<unsigned long long>(result.stats_expired),
                   static_cast<unsigned long long>(options.retain_days));
    }
    if (gaps.records_requested() > 0 || gaps.records_not_askable() > 0) {
      std::fprintf(out,
                   "resend: %llu records asked for again, %llu requests unanswered, %llu records "
                   "of sensors without a resend endpoint\n",
                   static_cast<unsigned long long>(gaps.records_requested()),
                   static_cast<unsigned long long>(gaps.requests_timed_out()),
                   static_cast<unsigned long long>(gaps.records_not_askable()));
    }
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
