// BoundedRing<Record>: the fixed-size hand-off from deciding threads to one
// background thread that every decision observer uses (the decision log,
// the per-tenant refusal view, the what-if recorder). Producers fill a
// Record in place in a cell they claimed and publish it; the one consumer
// reads published cells in claim order and frees them. Nothing allocates
// after construction; a producer that finds the ring full gets null and
// drops (observers count those drops), it never waits.
//
// This is Vyukov's bounded MPMC queue used with a single consumer: cell i
// carries a sequence number `seq`, which says whose turn the cell is:
//   seq == pos             free for the producer that claims position pos;
//   seq == pos + 1         published, for the consumer;
//   seq == pos + capacity  read and freed, for the producer of the next lap.
//
// Thread safety / invariants:
//   * TryClaim and Publish: any number of threads at once; lock-free (a
//     producer waits for no other producer and never for the consumer: a
//     cell not freed yet is "full"). Between a TryClaim that returned a
//     record and its Publish, only the claiming thread touches that record.
//     A producer descheduled between the two delays the consumer at that
//     position (it reads in order), never another producer.
//   * Front, Pop, read_position: one consumer thread at a time (the caller
//     serializes them, e.g. a single background thread).
//   * claimed: any thread; a relaxed snapshot.
//   * Cells are cache-line aligned so producers filling neighbouring
//     records do not share a line.
#ifndef CORSD_SERVICE_DOOR_BOUNDED_RING_H_
#define CORSD_SERVICE_DOOR_BOUNDED_RING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace corsd::door {

template <typename Record>
class BoundedRing {
 public:
  // `capacity`: cells, a power of two of at least 2 (the owner validates
  // its option; a capacity that is not is rounded up here).
  explicit BoundedRing(size_t capacity)
      : mask_(RoundUp(capacity) - 1), cells_(new Cell[mask_ + 1]) {
    for (size_t i = 0; i <= mask_; ++i) {
      // Relaxed: before any other thread can see the ring (its owner hands
      // it over through a thread start or a release store).
      cells_[i].seq.store(i, std::memory_order_relaxed);
    }
  }
  BoundedRing(const BoundedRing&) = delete;
  BoundedRing& operator=(const BoundedRing&) = delete;

  size_t capacity() const { return mask_ + 1; }
  // Bytes a cell takes (a Record and its sequence number, cache-line
  // aligned): a ring of capacity c holds c x CellBytes() bytes.
  static constexpr size_t CellBytes() { return sizeof(Cell); }

  // Producer: claims the next position and returns its cell's record (the
  // previous lap's contents: overwrite every field the consumer reads), with
  // the position in *pos for Publish; null when the ring is full.
  Record* TryClaim(uint64_t* pos) {
    uint64_t p = enqueue_pos_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[p & mask_];
      // Acquire: pairs with the consumer's release in Pop, so its reads of
      // the previous lap's record are done before this producer writes it.
      const uint64_t seq = cell.seq.load(std::memory_order_acquire);
      const int64_t diff = static_cast<int64_t>(seq - p);
      if (diff == 0) {
        // Relaxed: the CAS only hands out the position; the cell's seq
        // orders the record's bytes.
        if (enqueue_pos_.compare_exchange_weak(p, p + 1,
                                               std::memory_order_relaxed,
                                               std::memory_order_relaxed)) {
          *pos = p;
          return &cell.record;
        }
      } else if (diff < 0) {
        return nullptr;  // the consumer has not freed this cell: full
      } else {
        // Relaxed: another producer took p; read where the claims are now.
        p = enqueue_pos_.load(std::memory_order_relaxed);
      }
    }
  }

  // Producer: hands the record claimed at `pos` to the consumer.
  void Publish(uint64_t pos) {
    // Release: the record's bytes before the consumer's acquire of seq.
    cells_[pos & mask_].seq.store(pos + 1, std::memory_order_release);
  }

  // Consumer: the oldest published record not popped yet, or null when the
  // next position is not published (empty, or its producer is still
  // filling it). Valid until Pop.
  const Record* Front() const {
    const Cell& cell = cells_[read_pos_ & mask_];
    // Acquire: pairs with Publish's release, so the record's bytes are
    // visible.
    if (cell.seq.load(std::memory_order_acquire) != read_pos_ + 1) {
      return nullptr;
    }
    return &cell.record;
  }

  // Consumer: frees the record Front returned for the next lap's producer.
  // Call only after a non-null Front.
  void Pop() {
    // Release: this thread's reads of the record before a producer's
    // acquire in TryClaim lets it overwrite them.
    cells_[read_pos_ & mask_].seq.store(read_pos_ + mask_ + 1,
                                        std::memory_order_release);
    ++read_pos_;
  }

  // Consumer: positions popped so far.
  uint64_t read_position() const { return read_pos_; }

  // Any thread: positions claimed so far (published or not). Relaxed: a
  // snapshot; a caller that needs its own earlier claims counted gets them
  // from its own program order (or a join).
  uint64_t claimed() const {
    return enqueue_pos_.load(std::memory_order_relaxed);
  }

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> seq{0};
    Record record;
  };

  static size_t RoundUp(size_t n) {
    size_t c = 2;
    while (c < n) c <<= 1;
    return c;
  }

  const size_t mask_;
  const std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<uint64_t> enqueue_pos_{0};
  // The consumer's next position (the consumer thread only).
  alignas(64) uint64_t read_pos_ = 0;
};

}  // namespace corsd::door

#endif  // CORSD_SERVICE_DOOR_BOUNDED_RING_H_
