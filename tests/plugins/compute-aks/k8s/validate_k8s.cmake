# SPDX-License-Identifier: Apache-2.0
# ctest driver: render the samples, then validate them with node.
# -DRENDER=<skiff_k8s_render_samples> -DVALIDATE_DIR=<build>/k8s-validate
if(NOT EXISTS "${VALIDATE_DIR}/node_modules/kubernetes-models/package.json")
  message(FATAL_ERROR "kubernetes-models is not installed in ${VALIDATE_DIR}: run "
    "`npm ci --prefix ${VALIDATE_DIR}` (./scripts/test does) and re-run this test")
endif()
find_program(NODE node)
if(NOT NODE)
  message(FATAL_ERROR "node is not installed (Debian: apt-get install nodejs npm)")
endif()
set(out "${VALIDATE_DIR}/samples")
file(REMOVE_RECURSE "${out}")
file(MAKE_DIRECTORY "${out}")
execute_process(COMMAND "${RENDER}" "${out}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "rendering the samples failed (${rc})")
endif()
file(GLOB samples "${out}/*.json")
execute_process(COMMAND "${NODE}" "${VALIDATE_DIR}/validate_k8s.mjs" ${samples} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "schema validation failed (${rc})")
endif()
