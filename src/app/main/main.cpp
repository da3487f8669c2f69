// The esimo executable: everything lives in the esimo_app library so tests can link the commands.
#include "app/commands.hpp"

int main(int argc, char** argv) { return esimo::app::run_cli(argc, argv); }
