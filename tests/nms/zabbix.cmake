# Zabbix: the template (contrib/zabbix) and its end-to-end test in the real product.
# Included from tests/CMakeLists.txt.

# The committed Zabbix template is regenerated from the MIB and checked against it.
add_test(NAME zabbix.template
         COMMAND ${SMTPCHECK_PYTHON} ${CMAKE_SOURCE_DIR}/tests/nms/check_zabbix_template.py
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(zabbix.template PROPERTIES LABELS "mib;zabbix" TIMEOUT 60)
# The trap receiver: snmptrapd's traphandle input in, SNMPTrapperFile records out.
add_test(NAME zabbix.traps
         COMMAND ${SMTPCHECK_PYTHON} ${CMAKE_SOURCE_DIR}/tests/nms/check_zabbix_traps.py
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(zabbix.traps PROPERTIES LABELS "mib;zabbix" TIMEOUT 60)

# A real Zabbix 6.0 + PostgreSQL in a loopback-only network namespace, polling
# two snmpd with our module. Normal build only: an ASan-built .so cannot be
# loaded into snmpd. Exit 77 (skip) only outside CI when Zabbix is missing.
if(SMTPCHECK_BUILD_MODULE AND NOT SMTPCHECK_SANITIZE)
  add_test(NAME e2e.zabbix COMMAND ${SMTPCHECK_PYTHON} ${CMAKE_SOURCE_DIR}/tests/nms/zabbix_e2e.py)
  set_tests_properties(e2e.zabbix PROPERTIES
    LABELS "e2e;zabbix" TIMEOUT 900 RUN_SERIAL TRUE SKIP_RETURN_CODE 77
    ENVIRONMENT "SMTPCHECK_MODULE=$<TARGET_FILE:smtpcheck_module>")
endif()
