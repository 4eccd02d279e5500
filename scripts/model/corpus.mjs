// A small multilingual corpus written for sentvec: it trains the test models' SentencePiece
// vocabulary and is the base of the tokenizer/embedding parity corpus. Plain everyday sentences,
// ten or more languages, lengths from a few words to long lines.
export const corpus = {
  en: [
    'The train to the coast leaves at seven every morning.',
    'She keeps her notes in a small blue notebook.',
    'Our server answers most requests in under ten milliseconds.',
    'How fast is the new phone when it runs the camera model?',
    'Please water the tomatoes before the sun gets too hot.',
    'The library closes early on public holidays.',
    'He fixed the bicycle chain with a borrowed tool.',
    'Search engines rank documents by how well they match a query.',
    'A quiet room helps me read for hours.',
    'The bakery on the corner sells bread until noon.',
    'Embeddings turn sentences into vectors that can be compared.',
    'We measured the latency of each request twice.',
    'The museum opened a new hall for old maps.',
    'Rain is expected over the mountains tonight.',
    'My grandmother grows herbs on the kitchen windowsill.',
    'The meeting moved to Thursday afternoon.',
    'Batching many sentences together makes inference cheaper per item.',
    'Children played football in the park until dark.',
    'The river was frozen for three weeks last winter.',
    'Translate this paragraph into French and German, then compare the results carefully with the original text.',
  ],
  ja: [
    '毎朝七時に海辺行きの電車が出発します。',
    '彼女は小さな青いノートにメモを残しています。',
    '新しいスマートフォンでカメラのモデルはどれくらい速く動きますか？',
    '日差しが強くなる前にトマトに水をやってください。',
    '図書館は祝日には早く閉まります。',
    '検索エンジンはクエリとの一致度で文書を並べます。',
    '静かな部屋だと何時間でも本が読めます。',
    '角のパン屋は正午までパンを売っています。',
    '文をベクトルに変換すると意味の近さを比べられます。',
    '各リクエストの遅延を二回測定しました。',
    '今夜は山沿いで雨が降る見込みです。',
    '会議は木曜日の午後に変更になりました。',
    '多くの文をまとめて処理すると一件あたりの推論が安くなります。',
    '子どもたちは暗くなるまで公園でサッカーをしていました。',
    '去年の冬、川は三週間凍っていました。',
    'この段落をフランス語とドイツ語に翻訳し、元の文章と注意深く比べてください。',
    '端末のNPUを使うとCPUよりもずっと高速に推論できることがあります。',
    '駅前の喫茶店は朝から混んでいます。',
    '週末は家族と温泉に行く予定です。',
    '日本語の文は句点で区切られます。',
  ],
  zh: [
    '每天早上七点有一班开往海边的火车。',
    '她把笔记写在一个蓝色的小本子里。',
    '新手机运行相机模型的速度有多快？',
    '太阳变热之前请给西红柿浇水。',
    '图书馆在公共假日会提前关门。',
    '搜索引擎根据与查询的匹配程度对文档排序。',
    '安静的房间让我可以读好几个小时的书。',
    '把句子转换成向量之后就可以比较它们的意思。',
    '我们把每个请求的延迟测量了两次。',
    '今晚山区预计会下雨。',
    '会议改到了星期四下午。',
    '孩子们在公园里踢足球一直到天黑。',
    '去年冬天河面结冰了三个星期。',
    '批量处理很多句子可以降低每条的推理成本。',
    '这家面包店每天中午以前卖新鲜面包。',
    '请把这段话翻译成法语和德语，然后仔细和原文比较。',
    '我的祖母在厨房的窗台上种香草。',
    '博物馆新开了一个展示古地图的展厅。',
  ],
  ko: [
    '매일 아침 일곱 시에 바닷가로 가는 기차가 출발합니다.',
    '그녀는 작은 파란 수첩에 메모를 적어 둡니다.',
    '새 휴대폰에서 카메라 모델은 얼마나 빨리 실행되나요?',
    '해가 뜨거워지기 전에 토마토에 물을 주세요.',
    '도서관은 공휴일에 일찍 문을 닫습니다.',
    '검색 엔진은 질의와 얼마나 잘 맞는지에 따라 문서를 정렬합니다.',
    '조용한 방에서는 몇 시간이고 책을 읽을 수 있어요.',
    '문장을 벡터로 바꾸면 의미를 비교할 수 있습니다.',
    '오늘 밤 산간 지역에 비가 올 것으로 예상됩니다.',
    '회의가 목요일 오후로 옮겨졌습니다.',
    '아이들은 어두워질 때까지 공원에서 축구를 했습니다.',
    '지난겨울 강이 삼 주 동안 얼어 있었습니다.',
    '여러 문장을 한꺼번에 처리하면 추론 비용이 줄어듭니다.',
    '이 단락을 프랑스어와 독일어로 번역한 뒤 원문과 꼼꼼히 비교해 주세요.',
    '모퉁이 빵집은 정오까지 빵을 팝니다.',
  ],
  ar: [
    'يغادر القطار إلى الساحل في السابعة كل صباح.',
    'تحتفظ بملاحظاتها في دفتر أزرق صغير.',
    'ما مدى سرعة الهاتف الجديد عند تشغيل نموذج الكاميرا؟',
    'من فضلك اسقِ الطماطم قبل أن تشتد حرارة الشمس.',
    'تغلق المكتبة مبكرًا في العطل الرسمية.',
    'ترتب محركات البحث المستندات حسب مطابقتها للاستعلام.',
    'الغرفة الهادئة تساعدني على القراءة لساعات.',
    'تحويل الجمل إلى متجهات يسمح بمقارنة معانيها.',
    'من المتوقع هطول أمطار فوق الجبال الليلة.',
    'نُقل الاجتماع إلى بعد ظهر يوم الخميس.',
    'لعب الأطفال كرة القدم في الحديقة حتى حلول الظلام.',
    'ترجم هذه الفقرة إلى الفرنسية والألمانية ثم قارن النتائج بالنص الأصلي بعناية.',
    'يبيع المخبز الخبز الطازج حتى الظهر.',
    'قسنا زمن الاستجابة لكل طلب مرتين.',
  ],
  th: [
    'รถไฟไปชายทะเลออกเดินทางทุกเช้าเวลาเจ็ดโมง',
    'เธอจดบันทึกไว้ในสมุดเล่มเล็กสีฟ้า',
    'โทรศัพท์รุ่นใหม่รันโมเดลกล้องได้เร็วแค่ไหน',
    'กรุณารดน้ำต้นมะเขือเทศก่อนแดดจะร้อน',
    'ห้องสมุดปิดเร็วในวันหยุดนักขัตฤกษ์',
    'เครื่องมือค้นหาจัดอันดับเอกสารตามความตรงกับคำค้น',
    'ห้องที่เงียบช่วยให้ฉันอ่านหนังสือได้หลายชั่วโมง',
    'การแปลงประโยคเป็นเวกเตอร์ทำให้เปรียบเทียบความหมายได้',
    'คืนนี้คาดว่าจะมีฝนตกบนภูเขา',
    'การประชุมเลื่อนไปเป็นบ่ายวันพฤหัสบดี',
    'เด็กๆ เล่นฟุตบอลในสวนจนมืด',
    'ร้านเบเกอรี่ตรงหัวมุมขายขนมปังจนถึงเที่ยง',
  ],
  hi: [
    'समुद्र तट की ओर जाने वाली ट्रेन हर सुबह सात बजे निकलती है।',
    'वह अपने नोट्स एक छोटी नीली नोटबुक में रखती है।',
    'नया फ़ोन कैमरा मॉडल को कितनी तेज़ी से चलाता है?',
    'धूप तेज़ होने से पहले टमाटरों को पानी दे दीजिए।',
    'सार्वजनिक छुट्टियों पर पुस्तकालय जल्दी बंद हो जाता है।',
    'खोज इंजन दस्तावेज़ों को प्रश्न से मेल के आधार पर क्रम देते हैं।',
    'शांत कमरे में मैं घंटों पढ़ सकता हूँ।',
    'वाक्यों को वेक्टर में बदलने से उनके अर्थ की तुलना की जा सकती है।',
    'आज रात पहाड़ों पर बारिश होने की संभावना है।',
    'बैठक गुरुवार दोपहर तक टल गई है।',
    'बच्चे अंधेरा होने तक पार्क में फ़ुटबॉल खेलते रहे।',
    'इस अनुच्छेद का फ़्रेंच और जर्मन में अनुवाद करें और मूल पाठ से ध्यान से तुलना करें।',
  ],
  ru: [
    'Поезд к побережью отправляется каждое утро в семь часов.',
    'Она записывает заметки в маленький синий блокнот.',
    'Насколько быстро новый телефон запускает модель камеры?',
    'Пожалуйста, полей помидоры, пока солнце не стало слишком жарким.',
    'В праздничные дни библиотека закрывается рано.',
    'Поисковые системы ранжируют документы по соответствию запросу.',
    'В тихой комнате я могу читать часами.',
    'Если превратить предложения в векторы, их смысл можно сравнивать.',
    'Сегодня ночью в горах ожидается дождь.',
    'Совещание перенесли на четверг, на вторую половину дня.',
    'Дети играли в футбол в парке до темноты.',
    'Прошлой зимой река была скована льдом три недели.',
    'Переведите этот абзац на французский и немецкий, а затем внимательно сравните с оригиналом.',
    'Пекарня на углу продаёт хлеб до полудня.',
  ],
  de: [
    'Der Zug zur Küste fährt jeden Morgen um sieben Uhr ab.',
    'Sie schreibt ihre Notizen in ein kleines blaues Heft.',
    'Wie schnell läuft das Kameramodell auf dem neuen Telefon?',
    'Bitte gieß die Tomaten, bevor die Sonne zu heiß wird.',
    'An Feiertagen schließt die Bibliothek früher.',
    'Suchmaschinen ordnen Dokumente danach, wie gut sie zur Anfrage passen.',
    'In einem ruhigen Zimmer kann ich stundenlang lesen.',
    'Wenn man Sätze in Vektoren umwandelt, lassen sich ihre Bedeutungen vergleichen.',
    'Heute Nacht wird über den Bergen Regen erwartet.',
    'Die Besprechung wurde auf Donnerstagnachmittag verschoben.',
    'Die Kinder spielten im Park Fußball, bis es dunkel wurde.',
    'Im letzten Winter war der Fluss drei Wochen lang zugefroren.',
    'Übersetze diesen Absatz ins Französische und vergleiche das Ergebnis sorgfältig mit dem Original.',
    'Die Bäckerei an der Ecke verkauft Brot bis zwölf Uhr mittags.',
  ],
  fr: [
    'Le train pour la côte part tous les matins à sept heures.',
    'Elle garde ses notes dans un petit carnet bleu.',
    'À quelle vitesse le nouveau téléphone exécute-t-il le modèle de la caméra ?',
    'Arrose les tomates avant que le soleil ne devienne trop chaud, s’il te plaît.',
    'La bibliothèque ferme plus tôt les jours fériés.',
    'Les moteurs de recherche classent les documents selon leur pertinence.',
    'Une pièce calme m’aide à lire pendant des heures.',
    'Transformer des phrases en vecteurs permet de comparer leur sens.',
    'De la pluie est attendue sur les montagnes cette nuit.',
    'La réunion a été déplacée à jeudi après-midi.',
    'Les enfants ont joué au football dans le parc jusqu’à la nuit.',
    'L’hiver dernier, la rivière est restée gelée pendant trois semaines.',
    'Traduisez ce paragraphe en allemand puis comparez-le attentivement avec le texte d’origine.',
    'La boulangerie du coin vend du pain jusqu’à midi.',
  ],
  es: [
    'El tren a la costa sale todas las mañanas a las siete.',
    'Guarda sus apuntes en una libreta azul pequeña.',
    '¿Qué tan rápido ejecuta el teléfono nuevo el modelo de la cámara?',
    'La biblioteca cierra temprano los días festivos.',
    'Convertir frases en vectores permite comparar su significado.',
    'Los niños jugaron al fútbol en el parque hasta que oscureció.',
  ],
  vi: [
    'Chuyến tàu ra biển khởi hành lúc bảy giờ mỗi sáng.',
    'Cô ấy ghi chép trong một cuốn sổ nhỏ màu xanh.',
    'Thư viện đóng cửa sớm vào những ngày lễ.',
  ],
  el: [
    'Το τρένο για την ακτή φεύγει κάθε πρωί στις επτά.',
    'Η βιβλιοθήκη κλείνει νωρίς τις αργίες.',
  ],
  he: [
    'הרכבת לחוף יוצאת בכל בוקר בשבע.',
    'הספרייה נסגרת מוקדם בחגים.',
  ],
};

export function corpusLines() {
  return Object.values(corpus).flat();
}

/**
 * A deterministic benchmark corpus of `count` lines built from the sentences above: fragments,
 * single sentences and paragraphs of up to twelve sentences, so lengths spread from about 3 to
 * 200 tokens the way real inputs do (many short, a long tail).
 */
export function realisticCorpus(count = 3000, seed = 2026) {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const languages = Object.values(corpus);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const lines = [];
  for (let i = 0; i < count; i++) {
    const language = pick(languages);
    const r = random();
    if (r < 0.1) {
      // A fragment: the first few words (or characters, for scripts without spaces).
      const s = pick(language);
      const words = s.split(' ');
      lines.push(words.length > 3 ? words.slice(0, 2 + Math.floor(random() * 3)).join(' ') : Array.from(s).slice(0, 4 + Math.floor(random() * 6)).join(''));
    } else {
      const n = r < 0.6 ? 1 : r < 0.8 ? 2 + Math.floor(random() * 2) : r < 0.93 ? 4 + Math.floor(random() * 3) : 7 + Math.floor(random() * 6);
      const joiner = language === corpus.ja || language === corpus.zh || language === corpus.th ? '' : ' ';
      lines.push(Array.from({ length: n }, () => pick(language)).join(joiner));
    }
  }
  return lines;
}
