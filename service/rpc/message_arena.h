// MessageArena: a protobuf arena whose first block it owns, for a handler
// that receives one message at a time (a stream reactor): Fresh<T>() resets
// the arena and creates an empty T on it. Parsing into such a message
// allocates its sub-messages and strings from the block instead of the heap
// (string buffers over 15 bytes still come from the heap; Reset frees them),
// where a reused heap message would delete and re-create every singular
// sub-message on each parse (protobuf's Clear does).
//
// Thread safety: none; one owner. Ownership: messages from Fresh are owned
// by the arena and valid until the next Fresh or the destructor.
#ifndef CORSD_SERVICE_RPC_MESSAGE_ARENA_H_
#define CORSD_SERVICE_RPC_MESSAGE_ARENA_H_

#include <google/protobuf/arena.h>

#include <cstddef>
#include <memory>

namespace corsd::rpc {

class MessageArena {
 public:
  // `block_bytes`: the owned first block (also the size of blocks the arena
  // mallocs when a message outgrows it).
  explicit MessageArena(size_t block_bytes = 32 << 10)
      : block_(new char[block_bytes]),
        arena_(Options(block_.get(), block_bytes)) {}

  MessageArena(const MessageArena&) = delete;
  MessageArena& operator=(const MessageArena&) = delete;

  // Invalidates every message Fresh returned before; returns an empty T.
  template <typename T>
  T* Fresh() {
    arena_.Reset();
    return google::protobuf::Arena::CreateMessage<T>(&arena_);
  }

 private:
  static google::protobuf::ArenaOptions Options(char* block, size_t bytes) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = bytes;
    options.start_block_size = bytes;
    options.max_block_size = 8 * bytes;
    return options;
  }

  // block_ outlives arena_ (declared first, destroyed last).
  const std::unique_ptr<char[]> block_;
  google::protobuf::Arena arena_;
};

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_MESSAGE_ARENA_H_
