# Install rules and the Debian package (CPack DEB). `scripts/release/deb.sh` (make deb) builds it:
#   /usr/bin/azsql-mcp, /usr/share/man/man1/azsql-mcp.1.gz (generated from --help by help2man),
#   /etc/azsql-mcp/azsql-mcp.env (conffile), /usr/lib/systemd/system/azsql-mcp.service (not enabled),
#   /usr/share/doc/azsql-mcp/. Dependencies come from dpkg-shlibdeps; libcurl4 (loaded with dlopen
#   for Entra tokens) and ca-certificates are Recommends.
# `install`/`cpack` do not build `all` (tests, benchmarks): build azsql-mcp and azsql-mcp-man first.
# The man page is part of `all` when help2man is installed (scripts/setup.sh installs it), so the
# e2e test packaging.test.mjs can check it.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(GNUInstallDirs)

install(TARGETS azsql-mcp RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES deploy/azsql-mcp.env DESTINATION /etc/azsql-mcp)
install(FILES deploy/azsql-mcp.service DESTINATION lib/systemd/system)
install(FILES README.md docs/DEPLOYMENT.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/azsql-mcp)

find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(_man ${PROJECT_BINARY_DIR}/azsql-mcp.1)
  add_custom_command(OUTPUT ${_man}.gz
    COMMAND ${HELP2MAN} --no-info --no-discard-stderr --section=1
            "--name=MCP server for Azure SQL and SQL Server" --output=${_man} $<TARGET_FILE:azsql-mcp>
    COMMAND gzip -9nf ${_man}
    DEPENDS azsql-mcp
    COMMENT "man page from azsql-mcp --help")
  add_custom_target(azsql-mcp-man ALL DEPENDS ${_man}.gz)
  install(FILES ${_man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 OPTIONAL)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME azsql-mcp)
set(CPACK_PACKAGE_VENDOR "azsql-mcp")
set(CPACK_PACKAGE_CONTACT "azsql-mcp maintainers <azsql-mcp@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "MCP server for Azure SQL and SQL Server")
set(CPACK_PACKAGE_DESCRIPTION "A Model Context Protocol server giving AI assistants schema discovery and guarded SQL on Azure SQL Database and SQL Server (its own TDS client, Entra ID tokens), with an embedded SQLite demo database.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libcurl4, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_STRIP_FILES ON)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
include(CPack)
