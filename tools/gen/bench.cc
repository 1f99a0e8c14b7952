#include "tools/gen/generators.h"
namespace tapwatch::tools {
int GenerateBench(const BenchOptions&) { return 1; }
}
