#include "measure.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "../core/parallel.h"
#include "../core/pooling.h"

namespace sentvec::bench {

double MeasurePooling(size_t batch, size_t seqLength, size_t hidden, int rounds) {
  std::vector<float> tokens(batch * seqLength * hidden);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<float>(i % 97) * 0.01f;
  std::vector<int64_t> mask(batch * seqLength, 1);
  std::vector<float> out(batch * hidden);
  std::vector<float*> rows(batch);
  for (size_t b = 0; b < batch; ++b) rows[b] = out.data() + b * hidden;
  double best = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto start = std::chrono::steady_clock::now();
    Pool(tokens.data(), mask.data(), batch, seqLength, hidden, {PoolingMode::Mean}, rows.data());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(tokens.size() * sizeof(float)) / seconds / 1e9);
  }
  return out[0] >= 0 ? best : 0;  // keeps the output observable
}

double MeasureReadBandwidth(size_t bytes, int threads) {
  const size_t words = bytes / sizeof(uint64_t);
  std::vector<uint64_t> buffer(words, 1);  // written once, so every page is really there
  const size_t parts = static_cast<size_t>(threads > 0 ? threads : 1);
  std::vector<uint64_t> sums(parts * 8, 0);  // one cache line per thread
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    RunParallel(parts, [&](size_t part) {
      const uint64_t* p = buffer.data() + words * part / parts;
      const uint64_t* end = buffer.data() + words * (part + 1) / parts;
      uint64_t a = 0, b = 0, c = 0, d = 0;
      for (; p + 4 <= end; p += 4) {
        a += p[0];
        b += p[1];
        c += p[2];
        d += p[3];
      }
      sums[part * 8] = a + b + c + d;
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(words * sizeof(uint64_t)) / seconds / 1e9);
  }
  uint64_t total = 0;
  for (uint64_t s : sums) total += s;
  if (total == 0) return 0;  // keeps the sums observable so the loop is not optimized away
  return best;
}

}  // namespace sentvec::bench
