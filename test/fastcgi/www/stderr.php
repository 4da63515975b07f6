<?php
error_log('pier-fastcgi-stderr-test');
echo "logged\n";
