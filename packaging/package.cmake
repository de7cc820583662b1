# Install rules and the Debian package (included from the top-level CMakeLists.txt).
#
#   cmake --install BUILD [--prefix DIR]   the binary, man page, schemas, examples, completion
#   cpack --config BUILD/CPackConfig.cmake  originscan_VERSION_ARCH.deb (prefix /usr)
#
# The man page and the bash completion are generated from the built binary's --help, so they
# list whatever options it has. Without help2man there is no man page (a notice says so).
include(GNUInstallDirs)

set(packaging_dir ${PROJECT_SOURCE_DIR}/packaging)
set(generated_dir ${PROJECT_BINARY_DIR}/packaging)
find_program(GZIP gzip REQUIRED)
file(MAKE_DIRECTORY ${generated_dir})

install(TARGETS originscan)

# Schemas and the XSD, as the FILES section of the man page names them.
set(originscan_datadir ${CMAKE_INSTALL_DATADIR}/originscan)
install(FILES reports/report.schema.json reports/junit.xsd DESTINATION ${originscan_datadir}/reports)
install(FILES rules/rules.schema.json DESTINATION ${originscan_datadir}/rules)

# Rules examples: in the source tree their "$schema" is "../rules.schema.json"; the installed
# copies point at the installed schema, relative so that any prefix (or a scratch root) works.
set(examples_dir ${CMAKE_INSTALL_DOCDIR}/examples)
file(RELATIVE_PATH installed_schema ${CMAKE_INSTALL_FULL_DOCDIR}/examples
     ${CMAKE_INSTALL_FULL_DATADIR}/originscan/rules/rules.schema.json)
file(GLOB rules_examples CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/rules/examples/*.jsonc)
set(installed_examples)
foreach(example ${rules_examples})
  get_filename_component(name ${example} NAME)
  set(installed ${generated_dir}/examples/${name})
  add_custom_command(
    OUTPUT ${installed}
    COMMAND ${CMAKE_COMMAND} -DIN=${example} -DOUT=${installed} -DSCHEMA=${installed_schema}
            -P ${packaging_dir}/rewrite-schema.cmake
    DEPENDS ${example} ${packaging_dir}/rewrite-schema.cmake
    COMMENT "Pointing ${name} at the installed rules schema"
    VERBATIM)
  list(APPEND installed_examples ${installed})
endforeach()
install(FILES ${installed_examples} DESTINATION ${examples_dir})

# Bash completion, from the binary's --help.
set(completion ${generated_dir}/originscan.bash)
add_custom_command(
  OUTPUT ${completion}
  COMMAND ${packaging_dir}/make-completion $<TARGET_FILE:originscan> ${packaging_dir}/completion.bash.in ${completion}
  DEPENDS originscan ${packaging_dir}/make-completion ${packaging_dir}/completion.bash.in
  COMMENT "Generating the bash completion from originscan --help"
  VERBATIM)
install(FILES ${completion} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME originscan)

set(generated_files ${installed_examples} ${completion})

# originscan(1): help2man over --help, plus packaging/originscan.h2m for what --help does not
# say (origins, classes, modes, exit status, files, examples). --version-string: the page's
# version is the project's; the library lines of --version belong in bug reports, not here.
# Compressed with gzip -n (no name or time stamp: the same page gives the same bytes).
# help2man runs packaging/help-for-man (through a script named originscan, the page's name).
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(man_page ${generated_dir}/originscan.1)
  set(help_for_man ${generated_dir}/help2man/originscan)
  file(GENERATE OUTPUT ${help_for_man}
       CONTENT "#!/bin/sh\nexec '${packaging_dir}/help-for-man' '$<TARGET_FILE:originscan>' \"$@\"\n"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  add_custom_command(
    OUTPUT ${man_page} ${man_page}.gz
    COMMAND ${HELP2MAN} --no-info --section=1 "--source=originscan ${PROJECT_VERSION}"
            --version-string=${PROJECT_VERSION} --include=${packaging_dir}/originscan.h2m
            --output=${man_page} ${help_for_man}
    COMMAND ${GZIP} -9 -n -f -k ${man_page}
    DEPENDS originscan ${packaging_dir}/originscan.h2m ${packaging_dir}/help-for-man
    COMMENT "Generating originscan(1) with help2man"
    VERBATIM)
  install(FILES ${man_page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  list(APPEND generated_files ${man_page}.gz)
else()
  message(STATUS "help2man not found: originscan(1) will not be built or installed")
endif()

# Debian's own documentation files: the copyright file (machine-readable format, pointing at
# the licence text every Debian system has) and, the package being native, changelog.gz in
# Debian's changelog format (the project's history is CHANGELOG.md, installed beside it).
set(debian_changelog ${generated_dir}/changelog)
set(ORIGINSCAN_MAINTAINER "originscan maintainers <originscan@example.org>"
    CACHE STRING "The Maintainer of the .deb (and of its Debian changelog entry)")
add_custom_command(
  OUTPUT ${debian_changelog}.gz
  COMMAND ${packaging_dir}/debian-changelog ${PROJECT_VERSION} ${PROJECT_SOURCE_DIR}/CHANGELOG.md
          ${ORIGINSCAN_MAINTAINER} ${debian_changelog}
  COMMAND ${GZIP} -9 -n -f ${debian_changelog}
  DEPENDS ${packaging_dir}/debian-changelog ${PROJECT_SOURCE_DIR}/CHANGELOG.md
  COMMENT "Writing the Debian changelog"
  VERBATIM)
set(changelog_md ${generated_dir}/CHANGELOG.md.gz)
add_custom_command(
  OUTPUT ${changelog_md}
  COMMAND ${CMAKE_COMMAND} -E copy ${PROJECT_SOURCE_DIR}/CHANGELOG.md ${generated_dir}/CHANGELOG.md
  COMMAND ${GZIP} -9 -n -f ${generated_dir}/CHANGELOG.md
  DEPENDS ${PROJECT_SOURCE_DIR}/CHANGELOG.md
  VERBATIM)
install(FILES ${packaging_dir}/copyright ${debian_changelog}.gz ${changelog_md} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${packaging_dir}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME originscan)
list(APPEND generated_files ${debian_changelog}.gz ${changelog_md})

add_custom_target(originscan_install_files ALL DEPENDS ${generated_files})

# --- The .deb ---------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME originscan)
set(CPACK_PACKAGE_VENDOR "originscan")
set(CPACK_PACKAGE_CONTACT "${ORIGINSCAN_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "origin TLS scanner: which CDN edge SSL mode each origin allows")
# The extended description, one control-file line per line here (Debian: under 80 columns).
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "originscan connects to every origin server of a list the way a CDN edge does"
  "(its address, the proxied name as SNI, the edge's TLS offer), classes each"
  "one as pin-matching, ca-trusted, self-signed, plaintext or unreachable, and"
  "says which edge SSL mode (strict, full, flexible) it can safely use."
  ""
  "With a rules file and an earlier report as baseline it fails a CI build when"
  "an origin gets worse, writing JSON (with a JSON Schema), JUnit XML and NDJSON"
  "reports.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the libraries the binary links (dpkg-shlibdeps), not a hand-kept list.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
