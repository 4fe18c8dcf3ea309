/* each.c - compiles one public header alone (OZ_HEADER, e.g. -DOZ_HEADER=
 * '<omnizip/omnizip.h>'), as C and, with -x c++, as C++: test_abi.c runs it
 * for every header of include/omnizip/ under C99, C11, C++11 and C++17. */
#include OZ_HEADER

int main(void)
{
    return 0;
}
