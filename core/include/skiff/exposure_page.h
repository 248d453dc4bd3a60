// SPDX-License-Identifier: Apache-2.0
// GET /exposure on skiff-server's metrics listener: the exposure log a page
// at a time (docs/rollout.md "The exposure log"). The one owner of the wire
// format: the server answers with it (MetricsEndpoint, over
// dataplane::ExposureLogReader), the AKS compute plugin pages through each
// router pod with it (through the Kubernetes API's pod proxy).
//
//   GET /exposure[?from=CURSOR][&max=BYTES]
//   200, Content-Type application/x-ndjson: whole JSON lines, oldest first
//     (rotated files first: path.N ... path.1, then path), at most BYTES
//     (default 256 KiB, at most 1 MiB);
//     Skiff-Exposure-Next: the cursor of the next page;
//     Skiff-Exposure-End: "true" when nothing more is written yet;
//     Skiff-Exposure-Lost: "true" when the cursor's file was rotated away
//       before it was read to its end (its rest is lost);
//     Skiff-Exposure-Skipped: lines left out as longer than a page.
//   400 for a cursor the server did not make; 404 without an exposure log.
#pragma once

namespace skiff::exposure_page {

inline constexpr char kPath[] = "/exposure";
inline constexpr char kFromParam[] = "from";
inline constexpr char kMaxParam[] = "max";
inline constexpr char kContentType[] = "application/x-ndjson";
// Header names in lower case, as net::HttpResponse keeps them.
inline constexpr char kNextHeader[] = "skiff-exposure-next";
inline constexpr char kEndHeader[] = "skiff-exposure-end";
inline constexpr char kLostHeader[] = "skiff-exposure-lost";
inline constexpr char kSkippedHeader[] = "skiff-exposure-skipped";

}  // namespace skiff::exposure_page
