# CMake toolchain file: Arm Cortex-M33 (Arm's MPS2 AN505 board, run in qemu-system-arm -M mps2-an505).
#
#   cmake -S FIRMWARE_DIR -B BUILD -DCMAKE_TOOLCHAIN_FILE=<this file> [-DFETCHCONTENT_SOURCE_DIR_TFLITE_MICRO=TFLM]
#
# Compilers: Debian's gcc-arm-none-eabi with newlib (libnewlib-arm-none-eabi, libstdc++-arm-none-eabi-newlib).
# Links with newlib's semihosting library (rdimon): fopen/printf reach the host through the debugger or QEMU,
# argv comes from QEMU's -semihosting-config arg=... The project adds HARKEN_PLATFORM_SOURCES (the vector table)
# to its executable; the linker script puts everything in the AN505's 4 MB SSRAM1 and the stack in SSRAM2/3.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m33)
set(HARKEN_TARGET cortex-m33-qemu)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
find_program(HARKEN_ARM_SIZE arm-none-eabi-size)
# try_compile checks compile a static library: a test executable would need the vector table and linker script
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(_harken_cpu "-mcpu=cortex-m33 -mthumb -mfloat-abi=soft")
set(CMAKE_C_FLAGS_INIT "${_harken_cpu} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${_harken_cpu} -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti")
set(CMAKE_ASM_FLAGS_INIT "${_harken_cpu}")
foreach(_lang C CXX)
  set(CMAKE_${_lang}_FLAGS_RELEASE_INIT "-O2 -DNDEBUG")
  set(CMAKE_${_lang}_FLAGS_MINSIZEREL_INIT "-Os -DNDEBUG")
endforeach()
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "--specs=rdimon.specs -Wl,--gc-sections -T${CMAKE_CURRENT_LIST_DIR}/an505.ld")

set(HARKEN_M33_DIR "${CMAKE_CURRENT_LIST_DIR}")
set(HARKEN_PLATFORM_SOURCES "${CMAKE_CURRENT_LIST_DIR}/an505_startup.c")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
