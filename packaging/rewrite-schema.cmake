# cmake -DIN=example.jsonc -DOUT=installed.jsonc -DSCHEMA=relative/path -P rewrite-schema.cmake
# Copies a rules example, its "$schema" pointing at SCHEMA (the installed rules schema) instead
# of the source tree's "../rules.schema.json". An example without that line is an error, so a
# renamed schema cannot leave the installed examples pointing nowhere.
file(READ ${IN} text)
set(source_ref "\"$schema\": \"../rules.schema.json\"")
string(FIND "${text}" "${source_ref}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${IN}: no ${source_ref} line to point at the installed schema")
endif()
string(REPLACE "${source_ref}" "\"$schema\": \"${SCHEMA}\"" text "${text}")
file(WRITE ${OUT} "${text}")
