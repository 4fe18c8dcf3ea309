/* omnizip-run: everything lives in the shim's cli_*.c files. */
#include "cli.h"

int main(int argc, char **argv)
{
    return omnizip_run_main(argc, argv);
}
