#include "inspect.h"

int main(int argc, char **argv)
{
    return omnizip_inspect_main(argc, argv);
}
