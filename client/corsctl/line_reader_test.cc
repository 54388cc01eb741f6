#include "client/corsctl/line_reader.h"

#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace corsd::corsctl {
namespace {

// Feeds `data` through a pipe (from a thread, so large inputs don't block)
// and collects what the reader returns.
std::vector<LineReader::Line> ReadAll(const std::string& data, size_t max_line,
                                      std::vector<std::string>* texts) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = write(fds[1], data.data() + off, data.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  LineReader reader(fds[0], max_line);
  std::vector<LineReader::Line> lines;
  LineReader::Line line;
  while (reader.Next(&line)) {
    lines.push_back(line);
    texts->emplace_back(line.text);
  }
  EXPECT_TRUE(reader.status().ok());
  EXPECT_EQ(reader.bytes_read(), data.size());
  writer.join();
  close(fds[0]);
  return lines;
}

TEST(LineReaderTest, SplitsOnNewlineKeepsEmptyAndLastLine) {
  std::vector<std::string> texts;
  auto lines = ReadAll("a\n\nb\r\nlast", 100, &texts);
  EXPECT_EQ(texts, (std::vector<std::string>{"a", "", "b\r", "last"}));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[3].number, 4u);
}

TEST(LineReaderTest, EmptyInputHasNoLines) {
  std::vector<std::string> texts;
  EXPECT_TRUE(ReadAll("", 100, &texts).empty());
}

TEST(LineReaderTest, OverlongLinesAreSkippedWholeAndNumbered) {
  std::string big(3 << 20, 'x');  // longer than the buffer, too
  std::vector<std::string> texts;
  auto lines = ReadAll(
      "ok1\n" + std::string(11, 'y') + "\nok2\n" + big + "\nok3\n" + big, 10,
      &texts);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(texts[0], "ok1");
  EXPECT_TRUE(lines[1].too_long);
  EXPECT_EQ(texts[2], "ok2");
  EXPECT_TRUE(lines[3].too_long);
  EXPECT_EQ(texts[4], "ok3");
  EXPECT_EQ(lines[4].number, 5u);
  EXPECT_TRUE(lines[5].too_long);
}

TEST(LineReaderTest, ManyLinesAcrossBufferBoundaries) {
  std::string data;
  for (int i = 0; i < 300000; ++i) {
    data += "https://host" + std::to_string(i) + ".example.com\n";
  }
  std::vector<std::string> texts;
  auto lines = ReadAll(data, 1000, &texts);
  ASSERT_EQ(texts.size(), 300000u);
  EXPECT_EQ(texts[123456], "https://host123456.example.com");
  EXPECT_EQ(lines.back().number, 300000u);
}

}  // namespace
}  // namespace corsd::corsctl
