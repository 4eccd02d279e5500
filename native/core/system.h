#pragma once

#include <cstddef>

namespace sentvec {

// Physical cores of this machine (hyper-threads of one core count once); at least 1.
int PhysicalCores();

}  // namespace sentvec
