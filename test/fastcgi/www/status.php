<?php
http_response_code(418);
header('X-Custom: one');
header('X-Custom: two', false);
header('Cache-Control: no-store');
echo "teapot\n";
