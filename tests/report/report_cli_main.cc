// tapwatch_report_cli ARGS... == tapwatch-collector report ARGS... (test/bench helper).
#include "collector/report/report_command.h"

int main(int argc, char** argv) { return tapwatch::collector::RunReport(argc - 1, argv + 1); }
