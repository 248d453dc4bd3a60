// SPDX-License-Identifier: Apache-2.0
// ExposureLogReader's edges that a server's own lines never reach (issue 22
// item 4; the paging itself runs on a real skiff-server in
// ExposurePagesTest): a line longer than a page is left out and counted
// instead of stalling the reader, a torn last line of a rotated file is
// skipped, a writer's line in progress is not served half, and a cursor
// into a file that was deleted and replaced (its inode possibly reused) is
// reported lost instead of read from the wrong place.
#include "skiff/dataplane/exposure_log_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "temp_dir.h"

namespace skiff::dataplane {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

TEST(ExposureLogReaderTest, OversizedAndTornLinesAreSkippedAndHalfLinesWait) {
  testing::TempDir tmp;
  const std::string log = tmp.path() + "/exposure.jsonl";
  // The rotated file: a line, one longer than any page, a line, a torn end.
  Write(log + ".1", "{\"n\":1}\n" + std::string(5000, 'x') + "\n{\"n\":2}\n{\"torn");
  // The current file: a whole line and one still being written.
  Write(log, "{\"n\":3}\n{\"n\":4,\"half");
  ExposureLogReader reader;
  reader.SetLog(log);
  std::string all;
  int64_t skipped = 0;
  std::string cursor;
  for (int page = 0; page < 20; ++page) {
    auto got = reader.Read(cursor, ExposureLogReader::kMinPageBytes);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_LE(got->lines.size(), ExposureLogReader::kMinPageBytes);
    all += got->lines;
    skipped += got->skipped;
    cursor = got->next;
    if (got->end) break;
  }
  EXPECT_EQ(all, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
  EXPECT_EQ(skipped, 2) << "the 5,000-byte line and the torn one";
  // The writer finishes its line: the next page has it, whole.
  std::ofstream(log, std::ios::binary | std::ios::app) << "\"}\n";
  auto rest = reader.Read(cursor, ExposureLogReader::kMinPageBytes);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->lines, "{\"n\":4,\"half\"}\n");
  EXPECT_TRUE(rest->end);
  EXPECT_FALSE(rest->lost);
}

TEST(ExposureLogReaderTest, ACursorIntoAReplacedFileIsLostNotMisread) {
  testing::TempDir tmp;
  const std::string log = tmp.path() + "/exposure.jsonl";
  Write(log, "{\"user\":\"a\"}\n{\"user\":\"b\"}\n");
  ExposureLogReader reader;
  reader.SetLog(log);
  auto first = reader.Read("", ExposureLogReader::kMinPageBytes);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->end);
  // Deleted and written again (the filesystem may hand out the same inode):
  // lines of the same lengths, other content.
  std::filesystem::remove(log);
  Write(log, "{\"user\":\"c\"}\n{\"user\":\"d\"}\n{\"user\":\"e\"}\n");
  auto next = reader.Read(first->next, ExposureLogReader::kMinPageBytes);
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->lost);
  EXPECT_EQ(next->lines, "{\"user\":\"c\"}\n{\"user\":\"d\"}\n{\"user\":\"e\"}\n")
      << "from the start of the file that is there now";

  EXPECT_EQ(reader.Read("12-34", 4096).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reader.Read("1-2-3-4", 4096).status().code(), StatusCode::kInvalidArgument);
  reader.SetLog("");
  EXPECT_EQ(reader.Read("", 4096).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace skiff::dataplane
