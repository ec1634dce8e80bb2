/* Vector table for Arm's MPS2 AN505 (Cortex-M33), as QEMU's mps2-an505 boots it.
 *
 * Reset goes to newlib's _start (rdimon crt0: zeroes .bss, runs the constructors, asks the debugger for argv
 * through semihosting, calls main, and exits through semihosting with main's return value). Any fault prints
 * one line on the host through semihosting and stops the emulator with a run-time-error exit (QEMU exit code 1),
 * so a crash never hangs a test. */
#include <stdint.h>

extern void _start(void);
extern uint32_t __stack_top; /* linker script: top of SSRAM2/3 */

static void semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

static void fault_handler(void) {
  semihost(0x04 /* SYS_WRITE0 */, "harken: Cortex-M33 fault (exception handler reached)\n");
  semihost(0x18 /* SYS_EXIT */, (const void *)0x20023 /* ADP_Stopped_RunTimeError */);
  for (;;) {
  }
}

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) const vector_t harken_vector_table[16] = {
    (vector_t)(uintptr_t)&__stack_top, /* initial stack pointer */
    _start,                            /* reset */
    fault_handler,                     /* NMI */
    fault_handler,                     /* HardFault */
    fault_handler,                     /* MemManage */
    fault_handler,                     /* BusFault */
    fault_handler,                     /* UsageFault */
    fault_handler,                     /* SecureFault */
    0, 0, 0,                           /* reserved */
    fault_handler,                     /* SVCall */
    fault_handler,                     /* DebugMonitor */
    0,                                 /* reserved */
    fault_handler,                     /* PendSV */
    fault_handler,                     /* SysTick */
};
