# CUDA backend: build/libomnizip_cuda.so (loaded by libomnizip.so at run time,
# so the CPU plugin never links libcudart) and build/bench_cuda. Included by
# the top Makefile when CUDA=1; $(B) follows SANITIZE=1 there.
ifeq ($(NVCC),)
$(error CUDA=1 but no nvcc on PATH or in /usr/local/cuda/bin: set NVCC=/path/to/nvcc)
endif
CUDA_HOME ?= $(patsubst %/bin/,%,$(dir $(shell command -v $(NVCC))))
CUDA_LIBDIR ?= $(CUDA_HOME)/lib64
# sm_80 (A100) and sm_90 (H100/H200) as cubins, plus compute_90 PTX so newer
# GPUs JIT it; CUDA 13 dropped everything before sm_75.
CUDA_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
             -gencode arch=compute_90,code=compute_90
NVCCFLAGS ?= -O2
NVCCFLAGS += -std=c++17 -Xcompiler -fPIC,-fvisibility=hidden -Iinclude -Iplugin $(CUDA_ARCH)

CUDA_C_SRC := $(wildcard plugin/cuda/*.c)
CUDA_CU_SRC := $(wildcard plugin/cuda/*.cu)
CUDA_OBJ := $(call obj,$(CUDA_C_SRC)) $(patsubst %.cu,$(B)/obj/%.cu.o,$(CUDA_CU_SRC))

$(B)/obj/plugin/cuda/%.o: OZ_CFLAGS += -I$(CUDA_HOME)/include
CUDA_HDR := plugin/cuda/dev.h plugin/cuda/api.h include/omnizip/omnizip.h
$(B)/obj/plugin/cuda/%.cu.o: plugin/cuda/%.cu $(CUDA_HDR)
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) -c $< -o $@

$(B)/libomnizip_cuda.so: $(CUDA_OBJ) plugin/cuda/cuda.map
	$(CC) -shared -o $@ $(CUDA_OBJ) -Wl,--version-script=plugin/cuda/cuda.map -Wl,-z,defs \
	  $(LDFLAGS) $(OZ_LDFLAGS) -L$(CUDA_LIBDIR) -Wl,-rpath,$(CUDA_LIBDIR) -lcublas -lcudart -lstdc++ -lm

$(B)/bench_cuda: bench/bench_cuda.c $(B)/libomnizip_plugin.a
	@mkdir -p $(dir $@)
	$(OZ_CC) -Iplugin -I$(CUDA_HOME)/include -o $@ $< $(B)/libomnizip_plugin.a \
	  $(LDFLAGS) $(OZ_LDFLAGS) -L$(CUDA_LIBDIR) -Wl,-rpath,$(CUDA_LIBDIR) -lcudart $(PLUGIN_LIBS)

all: $(B)/libomnizip_cuda.so $(B)/bench_cuda
cuda: $(B)/libomnizip_cuda.so $(B)/bench_cuda
