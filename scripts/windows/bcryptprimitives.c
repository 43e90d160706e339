/*
 * Stand-in for Windows' bcryptprimitives.dll, for running drupe's tests under Wine.
 *
 * Why it exists: Rust's std (>= 1.78) gets its random bytes (HashMap seeds, ...)
 * from ProcessPrng() in bcryptprimitives.dll. Wine 8.0 (Debian 12) has no such DLL,
 * so every Rust .exe fails to load: it exits with code 53 and prints nothing.
 * This DLL exports only ProcessPrng, implemented with the generator Wine does have:
 * RtlGenRandom, exported by advapi32 as SystemFunction036.
 * Not needed (and never shipped) on real Windows. Built and installed into the Wine
 * prefix by setup.sh:
 *   x86_64-w64-mingw32-gcc -shared -O2 -s -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

/* RtlGenRandom; declared here rather than via <ntsecapi.h> to keep the build trivial. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Same contract as Windows: fill `data` with `len` random bytes; always returns TRUE. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        /* SystemFunction036 takes a 32-bit length: feed it in chunks. */
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
