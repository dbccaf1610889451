# Convenience wrapper so nobody has to type CMake flags. The README's two commands are
# scripts/run.sh and scripts/test.sh; these targets are for day-to-day work.
.PHONY: all run test debug asan bench clean format tidy
all:
	scripts/setup.sh
run:
	scripts/run.sh
test:
	scripts/test.sh
debug:
	cmake -S . -B build-debug -G Ninja -DCMAKE_BUILD_TYPE=Debug && cmake --build build-debug
asan:
	scripts/setup.sh --asan && ctest --test-dir build-asan -L unit --output-on-failure
bench:
	bench/run.sh
format:
	find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i
tidy:
	run-clang-tidy -p build src
clean:
	rm -rf build build-asan build-fuzz build-debug
