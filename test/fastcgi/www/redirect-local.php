<?php
// Location without Status (RFC 3875 §6.2.2, a local redirect): PHP sets 302 for Location,
// setting 200 back makes php-fpm send no Status line.
header('Location: /echo.php?q=local');
http_response_code(200);
