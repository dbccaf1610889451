# Convenience wrapper so nobody has to type CMake flags. The README's two commands are
# scripts/run.sh and scripts/test.sh; these targets are for day-to-day work.
.PHONY: all run test debug asan bench clean format tidy dist deb bundles image release release-test
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
# Release artifacts (docs/DEPLOYMENT.md, README "Install"): each lands in ./dist, except the image
# (local container storage, localhost/azsql-mcp:VERSION). image and release-test need root.
dist:
	scripts/release/dist.sh
deb:
	scripts/release/deb.sh
bundles:
	scripts/release/bundles.sh
image:
	scripts/release/image.sh
release: dist deb bundles image
release-test:
	scripts/release/test.sh
clean:
	rm -rf build build-asan build-fuzz build-debug dist
